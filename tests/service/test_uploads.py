"""An upload interrupted by a crash is settled when the service starts again: the uploads folder matches the index."""

from __future__ import annotations

from common.runtime import Runtime
from ingest.pipeline import Ingestor
from service.api.state import AppState

OLD = "---\ntitle: Oostdorp note\nlanguage: en\n---\n\n# Oostdorp note\n\nThe allowance is 120 euro per month.\n"
NEW = "---\ntitle: Oostdorp note\nlanguage: en\n---\n\n# Oostdorp note\n\nThe allowance is 150 euro per month.\n"


def crashed_mid_upload(settings, indexed: str) -> None:
    """The folder as a crash leaves it after swapping NEW in for OLD, with `indexed` the version that landed."""
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True)
    target = folder / "note.md"
    target.write_text(indexed, encoding="utf-8")
    runtime = Runtime(settings)
    try:
        assert Ingestor(settings, runtime.store, runtime.embedder).ingest([target]).ok
    finally:
        runtime.close()
    (folder / ".note.md.previous").write_text(OLD, encoding="utf-8")
    target.write_text(NEW, encoding="utf-8")
    (folder / ".other.md.part").write_text("half an upload", encoding="utf-8")


def settle(settings):
    state = AppState(settings)
    try:
        state.warm_up()
    finally:
        state.close()
    return sorted(p.name for p in (settings.data_dir / "uploads").iterdir())


def test_a_replacement_that_never_landed_is_rolled_back(make_settings):
    settings = make_settings()
    crashed_mid_upload(settings, indexed=OLD)
    assert settle(settings) == ["note.md"]
    assert (settings.data_dir / "uploads" / "note.md").read_text(encoding="utf-8") == OLD  # what the index serves


def test_a_replacement_that_landed_is_kept(make_settings):
    settings = make_settings()
    crashed_mid_upload(settings, indexed=NEW)
    assert settle(settings) == ["note.md"]
    assert (settings.data_dir / "uploads" / "note.md").read_text(encoding="utf-8") == NEW


def test_a_first_upload_that_never_landed_is_removed(make_settings):
    settings = make_settings()
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True)
    (folder / "note.md").write_text(NEW, encoding="utf-8")  # swapped in, never indexed
    (folder / ".note.md.new").touch()
    assert settle(settings) == []
