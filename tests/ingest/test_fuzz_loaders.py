"""Mutated PDFs, DOCX files, HTML and Markdown front matter: every loader either reads the file or raises a named
LoadError, quickly and in bounded memory. Hypothesis mutates valid seed files (flips, truncations, insertions,
repeated slices); seeds are printed by Hypothesis on failure so a case can be replayed."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.errors import LoadError
from ingest.loaders import load_document
from ingest.loaders.base import LoadedDocument
from tests.fuzzing import fuzz_settings

PER_FILE_SECONDS = 5.0
PER_FILE_MIB = 256
HTML = ("<html><head><title>Guide</title><script>x()</script></head><body><h1>Article 5</h1>"
        "<p>Eligible costs include staff costs &amp; travel.</p><table><tr><td>85 %</td></tr></table></body></html>")
MARKDOWN = "---\ntitle: Guide\nlanguage: en\nfund: [ESF+]\n---\n\n# Article 63\n\nExpenditure is eligible until 2029.\n"


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "repeat", "delete"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "repeat":
            piece = bytes(data[at : at + draw(st.integers(1, 256))])
            data[at:at] = piece * draw(st.integers(1, 50))
        else:
            del data[at : at + draw(st.integers(1, 256))]
    return bytes(data)


def check(name: str, data: bytes) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = load_document(Path(name), data)
        assert isinstance(result, LoadedDocument)
    except LoadError as exc:
        assert exc.code and name in str(exc)  # a named error that says which file
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - started < PER_FILE_SECONDS
    assert peak < PER_FILE_MIB * 2**20


FUZZ = fuzz_settings(ci_examples=60)


@pytest.fixture(scope="module")
def seeds(builders) -> dict[str, bytes]:
    return {"pdf": builders.pdf(["Article 112\nThe co-financing rate shall not exceed 85 %.", "Page two text."]),
            "docx": builders.docx(), "html": HTML.encode(), "md": MARKDOWN.encode()}


@pytest.mark.parametrize("kind", ["pdf", "docx", "html", "md"])
@FUZZ
@given(data=st.data())
def test_mutated_files_fail_only_with_named_errors(seeds, kind, data):
    check(f"fuzz.{kind}", data.draw(mutated(seeds[kind]), label="file"))


@FUZZ
@given(front=st.text(max_size=300))
def test_arbitrary_front_matter_is_read_or_named(front):
    check("front.md", f"---\n{front}\n---\n\n# Title\n\nBody text.\n".encode())


def test_zip_bomb_docx_is_refused(builders, tmp_path):
    import zipfile

    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<" + b"a" * (400 * 2**20) + b">")
    with pytest.raises(LoadError, match="zip bomb"):
        load_document(Path("bomb.docx"), bomb.read_bytes())
