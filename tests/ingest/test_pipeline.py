"""Incremental, idempotent and crash-safe ingest, on the real embedded Qdrant and the real model."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from common.runtime import Runtime
from common.schema import STATE_READY, document_hash
from ingest.pipeline import Ingestor

WORDS = ("grant beneficiary programme region budget eligible expenditure audit payment priority partner "
         "municipality training inclusion childcare housing employment care services youth report").split()


DOCS_TO_KILL = 24


def _write_docs(folder: Path, count: int, seed: int, sections: int = 3) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(count):
        parts = [f"---\ntitle: Guide {d}\nlanguage: en\nfund: [ESF+]\ncountry: EU\n---\n# Guide {d}\n"]
        for s in range(sections):
            sentences = " ".join(
                f"The {rng.choice(WORDS)} of {rng.choice(WORDS)} {d}-{s}-{i} covers {rng.choice(WORDS)} "
                f"and {rng.choice(WORDS)} for {rng.randint(1, 10**6)} people."
                for i in range(12)
            )
            parts.append(f"## Article {s + 1} {rng.choice(WORDS).title()}\n\n{sentences}\n")
        (folder / f"guide-{d:02}.md").write_text("\n".join(parts), encoding="utf-8")


def _state(settings) -> tuple[int, set[tuple[str, str, int]], int]:
    runtime = Runtime(settings)
    try:
        rows = {(p["doc_id"], p["chunk_hash"], p["chunk_index"])
                for _, p in runtime.store.scroll({}, ["doc_id", "chunk_hash", "chunk_index"])}
        return runtime.store.count({}), rows, runtime.store.count({"state": STATE_READY})
    finally:
        runtime.close()


def _ingest(settings, paths, prune=False):
    runtime = Runtime(settings)
    try:
        return Ingestor(settings, runtime.store, runtime.embedder).ingest(paths, prune=prune)
    finally:
        runtime.close()


def test_second_ingest_is_a_no_op_and_changes_replace_old_chunks(tmp_path, make_settings):
    folder = tmp_path / "docs"
    _write_docs(folder, 3, seed=1, sections=2)
    settings = make_settings()
    first = _ingest(settings, [folder])
    assert len(first.new) == 3 and first.ok
    count, rows, _ = _state(settings)

    second = _ingest(settings, [folder])
    assert len(second.unchanged) == 3 and second.embedded == 0 and second.chunks == 0
    assert _state(settings)[:2] == (count, rows)

    changed = folder / "guide-01.md"
    changed.write_text(changed.read_text(encoding="utf-8").replace("# Guide 1", "# Guide 1 revised"), encoding="utf-8")
    third = _ingest(settings, [folder])
    assert third.updated == [str(changed.resolve())] and len(third.unchanged) == 2
    new_count, new_rows, ready = _state(settings)
    assert new_count == count == ready  # old version replaced, not added to
    assert new_rows != rows

    changed.unlink()
    kept = _ingest(settings, [folder])
    assert kept.removed == [] and _state(settings)[0] == count  # without --prune nothing is removed
    pruned = _ingest(settings, [folder], prune=True)
    assert pruned.removed == [str(changed.resolve())]
    remaining = {doc for doc, _, _ in _state(settings)[1]}
    assert len(remaining) == 2 and not any(doc.startswith("guide-01") for doc in remaining)


def test_kill_minus_nine_mid_ingest_then_rerun_equals_clean_run(tmp_path, make_settings):
    folder = tmp_path / "docs"
    seed = int(os.environ.get("HELPDESK_TEST_SEED", time.time_ns() % 10_000))
    print(f"kill test seed {seed}")  # shown by pytest on failure, to replay: HELPDESK_TEST_SEED=...
    rng = random.Random(seed)
    # Enough documents that the ingest outlasts the latest kill (5 s) on a quiet machine: ten took about 6 s.
    _write_docs(folder, DOCS_TO_KILL, seed=seed)
    crashed = make_settings(data_dir=tmp_path / "crashed")
    env = {**os.environ, "HELPDESK_DATA_DIR": str(crashed.data_dir), "HELPDESK_EMBED_BATCH_SIZE": "4"}
    cli = [sys.executable, "-m", "service", "ingest", str(folder)]

    process = subprocess.Popen(cli, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(2.0, 5.0))
    killed = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert killed, "ingest finished before it could be killed; the test corpus is too small"

    rerun = subprocess.run(cli, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr

    clean = make_settings(data_dir=tmp_path / "clean")
    assert _ingest(clean, [folder]).ok
    crashed_state, clean_state = _state(crashed), _state(clean)
    assert crashed_state == clean_state
    assert crashed_state[0] == crashed_state[2]  # nothing left pending
    assert len({doc for doc, _, _ in crashed_state[1]}) == DOCS_TO_KILL


def test_an_index_built_another_way_is_rebuilt_in_place(tmp_path, make_settings):
    """A changed index recipe (here: titles not embedded, as an older version built it) is re-indexed by a
    plain re-run: every chunk replaced, none left over, nothing to delete by hand; then it is a no-op again."""
    folder = tmp_path / "docs"
    _write_docs(folder, 2, seed=3, sections=2)
    current = make_settings()
    # Without unit vectors, so that what is embedded is one passage per chunk (units repeat across overlaps).
    current = current.model_copy(update={"chunk": current.chunk.model_copy(update={"embed_units": False})})
    old = current.model_copy(update={"chunk": current.chunk.model_copy(update={"embed_title": False})})
    assert _ingest(old, [folder]).ok
    count, rows, _ = _state(old)

    rebuilt = _ingest(current, [folder])
    assert len(rebuilt.updated) == 2 and rebuilt.embedded == count
    new_count, new_rows, ready = _state(current)
    assert new_count == ready == count and new_rows == rows  # same chunks, re-embedded, no stale copies
    assert len(_ingest(current, [folder]).unchanged) == 2


def test_documents_get_their_period_country_and_title(tmp_path, make_settings):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "besluit_EFRO_2007-2013.md").write_text(
        "# Besluit EFRO\n\nDe subsidie in Nederland bedraagt ten hoogste 50 procent. Nederland en Nederland.\n",
        encoding="utf-8")
    (folder / "nieuws.txt").write_text(
        "Eesti omavalitsused saavad toetust perioodil 2021–2027\nEesti ja Eesti ja Eesti saavad raha 2021–2027.\n",
        encoding="utf-8")
    settings = make_settings()
    assert _ingest(settings, [folder]).ok
    runtime = Runtime(settings)
    try:
        docs = {p["source"].rsplit("/", 1)[-1]: p for _, p in runtime.store.scroll({}, ["source", "title", "period", "country"])}
    finally:
        runtime.close()
    assert docs["besluit_EFRO_2007-2013.md"]["period"] == "2007-2013"
    assert docs["besluit_EFRO_2007-2013.md"]["country"] == "NL"
    assert docs["nieuws.txt"]["title"] == "Eesti omavalitsused saavad toetust perioodil 2021–2027"
    assert (docs["nieuws.txt"]["period"], docs["nieuws.txt"]["country"]) == ("2021-2027", "EE")


class _QuestionsWhileEmbedding:
    """Progress that, each time ingest reports an embedding batch, embeds a question's sentence on the same
    embedder, as a server answering during an upload does."""

    def __init__(self, embedder) -> None:
        self.embedder, self.asked = embedder, 0

    def start(self, total_files): ...
    def file_started(self, path): ...
    def file_done(self, path, status): ...

    def embedding(self, done, total):
        self.asked += 1
        self.embedder.embed_passages([f"A sentence quoted for question {self.asked} at {time.perf_counter_ns()}."])


def test_the_ingest_summary_counts_only_its_own_embeddings(tmp_path, make_settings):
    folder = tmp_path / "docs"
    _write_docs(folder, 1, seed=991, sections=2)
    settings = make_settings()
    # One passage per chunk (unit vectors off): the count is then exactly this ingest's own.
    settings = settings.model_copy(update={"chunk": settings.chunk.model_copy(update={"embed_units": False})})
    runtime = Runtime(settings)
    try:
        progress = _QuestionsWhileEmbedding(runtime.embedder)
        summary = Ingestor(settings, runtime.store, runtime.embedder, progress).ingest([folder])
        assert progress.asked and summary.chunks
        assert summary.embedded == summary.chunks
    finally:
        runtime.close()


def test_search_shows_one_version_of_a_document_when_a_crash_leaves_two(tmp_path, make_settings):
    """A crash after the new version went ready and before the old one was deleted leaves both in the store;
    search must still show one version per document, the new one."""
    from common.store.edge import EdgeStore
    from qa.retriever import Retriever

    class CrashBeforeDelete(EdgeStore):
        def delete(self, must, must_not=None):
            raise RuntimeError("killed between publishing the new version and deleting the old")

    folder = tmp_path / "docs"
    _write_docs(folder, 1, seed=5, sections=3)
    settings = make_settings()
    _ingest(settings, [folder])
    guide = folder / "guide-00.md"
    guide.write_text(guide.read_text(encoding="utf-8").replace("people.", "persons."), encoding="utf-8")
    runtime = Runtime(settings)
    crashing = CrashBeforeDelete(settings.store_dir, settings.store.collection, index=settings.index)
    try:
        runtime.__dict__["store"] = crashing
        try:
            Ingestor(settings, crashing, runtime.embedder).ingest([folder])
        except RuntimeError:
            pass
        builds = {p["build"] for _, p in crashing.scroll({"state": STATE_READY}, ["build"])}
        assert len(builds) == 2  # the crash left both versions ready in the store
        hits = Retriever(settings, crashing, runtime.embedder).search("The grant of the budget covers people", k=20).hits
        texts = [h.text for h in hits]
        assert hits and all("persons." in t and "people." not in t for t in texts), texts
    finally:
        runtime.close()


class _WaitForTheNextExtraction:
    """Progress that, at the first file's first embedding batch, waits until the next file's text is extracted."""

    def __init__(self, ingestor_box: list, next_file: Path) -> None:
        self.box, self.next_file, self.ready_while_embedding = ingestor_box, next_file, None

    def start(self, total_files): ...
    def file_started(self, path): ...
    def file_done(self, path, status): ...

    def embedding(self, done, total):
        if self.ready_while_embedding is not None:
            return
        wanted = document_hash(self.next_file.read_bytes())
        deadline = time.monotonic() + 30
        while self.box[0].extractions.get(wanted) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        self.ready_while_embedding = self.box[0].extractions.get(wanted) is not None


def test_the_next_file_is_extracted_while_this_one_is_embedded(tmp_path, make_settings):
    folder = tmp_path / "docs"
    _write_docs(folder, 2, seed=5, sections=1)
    settings = make_settings()
    runtime = Runtime(settings)
    try:
        box: list = []
        progress = _WaitForTheNextExtraction(box, folder / "guide-01.md")
        box.append(Ingestor(settings, runtime.store, runtime.embedder, progress))
        summary = box[0].ingest([folder])
    finally:
        runtime.close()
    assert len(summary.new) == 2 and summary.ok
    assert progress.ready_while_embedding is True


def test_two_files_named_as_one_document_are_indexed_in_turn(tmp_path, make_settings):
    """Read ahead, the second file is checked against the index again when its turn comes: the first may have
    just written the same document."""
    folder = tmp_path / "docs"
    _write_docs(folder, 1, seed=8, sections=1)
    (folder / "copy.md").write_bytes((folder / "guide-00.md").read_bytes())
    (folder / "manifest.yaml").write_text("documents:\n  - path: guide-00.md\n    id: guide\n"
                                          "  - path: copy.md\n    id: guide\n", encoding="utf-8")
    settings = make_settings()
    summary = _ingest(settings, [folder])
    assert (len(summary.new), len(summary.unchanged)) == (1, 1), summary.to_dict()
    count, rows, ready = _state(settings)
    assert count == ready == len(rows) and {doc_id for doc_id, _, _ in rows} == {"guide"}
