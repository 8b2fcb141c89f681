"""Every kind of bad input gets a named error: from load_document directly, and in the pipeline summary."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from common.runtime import Runtime
from common.settings import Settings
from ingest.errors import (
    CorruptFileError,
    EmptyFileError,
    EncryptedPdfError,
    FileTooLargeError,
    InvalidEncodingError,
    LoadError,
    NoTextLayerError,
    NotAPdfError,
    UnsupportedTypeError,
)
from ingest.loaders import load_document
from ingest.pipeline import Ingestor


def _valid_pdf(builders) -> bytes:
    pages = [f"Page {n} text about eligible costs, co-financing rates and the audit trail of projects. " * 6
             for n in range(1, 4)]
    return builders.pdf(pages, unicode_font=False)


def _bad_files(builders) -> dict[str, tuple[bytes, type[LoadError]]]:
    """name -> (content, expected error) for everything load_document itself must refuse."""
    valid = _valid_pdf(builders)
    return {
        "empty.md": (b"", EmptyFileError),
        "blank.txt": (b"  \n\t\n", EmptyFileError),
        "fake.pdf": (b"<html><body>This is a web page saved as .pdf</body></html>", NotAPdfError),
        "locked.pdf": (builders.encrypted_pdf("secret"), EncryptedPdfError),
        "scan.pdf": (builders.blank_pdf(), NoTextLayerError),
        "latin1.txt": ("Caf\u00e9 cr\u00e8me, r\u00e8glement.".encode("latin-1"), InvalidEncodingError),
        "latin1.md": ("# R\u00e8gles\nLe r\u00e8glement g\u00e9n\u00e9ral.".encode("cp1252"), InvalidEncodingError),
        "truncated.pdf": (valid[: len(valid) // 2], LoadError),
        "random.docx": (random.Random(7).randbytes(4096), CorruptFileError),
    }


@pytest.mark.parametrize("name", [
    "empty.md", "blank.txt", "fake.pdf", "locked.pdf", "scan.pdf", "latin1.txt", "latin1.md", "truncated.pdf",
    "random.docx",
])
def test_load_document_raises_named_error(tmp_path, builders, name):
    data, expected = _bad_files(builders)[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(expected) as info:
        load_document(path, path.read_bytes())
    error = info.value
    assert isinstance(error, LoadError)
    assert error.code != LoadError.code  # a specific subclass, not the generic one
    assert error.path == str(path)
    assert str(path) in str(error)
    if expected is NoTextLayerError:
        assert "OCR" in str(error)
    if expected is EncryptedPdfError:
        assert "password" in str(error)


def test_valid_pdf_builder_loads(builders, tmp_path):
    # The truncated PDF above is half of this one: make sure the whole one is fine.
    doc = load_document(tmp_path / "ok.pdf", _valid_pdf(builders))
    assert doc.page_count == 3


def test_pdf_with_empty_user_password_opens(tmp_path, builders):
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_valid_pdf(builders))))
    writer.encrypt(user_password="", owner_password="owner-only")
    out = io.BytesIO()
    writer.write(out)
    doc = load_document(tmp_path / "restricted.pdf", out.getvalue())
    assert doc.page_count == 3
    assert "co-financing rates" in doc.text


def test_truncated_pdfs_never_raise_arbitrary_exceptions(tmp_path, builders):
    valid = _valid_pdf(builders)
    path = tmp_path / "cut.pdf"
    for cut in range(64, len(valid), max(1, len(valid) // 60)):
        try:
            load_document(path, valid[:cut])
        except LoadError:
            pass
        except Exception as exc:  # pragma: no cover - the failure we are looking for
            pytest.fail(f"cut at {cut} of {len(valid)} bytes raised {type(exc).__name__}: {exc}")


def test_corrupt_docx_zip_that_is_not_a_document(tmp_path):
    import zipfile

    path = tmp_path / "notword.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    with pytest.raises(CorruptFileError):
        load_document(path, path.read_bytes())


@pytest.mark.parametrize("name", ["sheet.xlsx", "README", "archive.tar.gz", "slides.PPTX"])
def test_unsupported_type(tmp_path, name):
    with pytest.raises(UnsupportedTypeError) as info:
        load_document(tmp_path / name, b"PK\x03\x04 some content")
    assert ".pdf" in str(info.value) and ".md" in str(info.value)  # says what is supported


def test_supported_suffixes_are_case_insensitive(tmp_path):
    doc = load_document(tmp_path / "NOTE.TXT", b"Upper-case suffix is fine.")
    assert doc.text == "Upper-case suffix is fine."


# --- through the pipeline -------------------------------------------------------------------------------

GOOD = {
    "good-one.md": "---\ntitle: Staff costs\nlanguage: en\n---\n# Staff costs\nStaff costs are eligible. Keep timesheets.\n",
    "good-two.md": "---\ntitle: Flat rates\nlanguage: en\n---\n# Flat rates\nA flat rate of 15 % covers staff costs.\n",
}
EXPECTED_CODES = {
    "empty.md": "empty-file",
    "blank.txt": "empty-file",
    "fake.pdf": "not-a-pdf",
    "locked.pdf": "encrypted-pdf",
    "scan.pdf": "no-text-layer",
    "latin1.txt": "invalid-encoding",
    "latin1.md": "invalid-encoding",
    "random.docx": "corrupt-file",
    "huge.txt": "file-too-large",
    "sheet.xlsx": "unsupported-type",  # given explicitly
}


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory, builders):
    from types import SimpleNamespace

    tmp = tmp_path_factory.mktemp("bad-input")
    folder = tmp / "inbox"
    folder.mkdir()
    for name, (data, _) in _bad_files(builders).items():
        (folder / name).write_bytes(data)
    (folder / "huge.txt").write_bytes(("Eligible costs are explained here. " * 1000).encode())  # ~35 KB
    (folder / "ignored.xlsx").write_bytes(b"PK\x03\x04 spreadsheet in a folder")
    for name, text in GOOD.items():
        (folder / name).write_text(text, encoding="utf-8")
    explicit_xlsx = tmp / "sheet.xlsx"
    explicit_xlsx.write_bytes(b"PK\x03\x04 spreadsheet given by name")

    settings = Settings(data_dir=tmp / "data")
    settings.ingest.max_file_mb = 0.02  # ~20 KiB: only huge.txt is over it
    runtime = Runtime(settings)
    try:
        summary = Ingestor(settings, runtime.store, runtime.embedder).ingest([folder, explicit_xlsx])
        sources = {payload["source"]: payload for _, payload in runtime.store.scroll({}, ["source", "state", "title"])}
        counts = {name: runtime.store.count({"source": (folder / name).resolve().as_posix()}) for name in GOOD}
    finally:
        runtime.close()
    return SimpleNamespace(summary=summary, folder=folder, sources=sources, counts=counts, xlsx=explicit_xlsx)


def test_pipeline_good_files_land(pipeline_run):
    summary = pipeline_run.summary
    assert sorted(Path(p).name for p in summary.new) == sorted(GOOD)
    assert summary.updated == [] and summary.unchanged == []
    assert summary.chunks >= 2
    for name, count in pipeline_run.counts.items():
        assert count >= 1, name
    assert {Path(s).name for s in pipeline_run.sources} == set(GOOD)
    assert {p["state"] for p in pipeline_run.sources.values()} == {"ready"}
    assert {p["title"] for p in pipeline_run.sources.values()} == {"Staff costs", "Flat rates"}


def test_pipeline_reports_every_bad_file(pipeline_run):
    summary = pipeline_run.summary
    assert summary.ok is False
    failed = {Path(f.path).name: f for f in summary.failed}
    assert set(failed) == set(EXPECTED_CODES) | {"truncated.pdf"}, sorted(failed)
    for name, code in EXPECTED_CODES.items():
        assert failed[name].code == code, (name, failed[name])
    # A cut-off PDF may be unreadable or readable without text; either way a named load error.
    assert failed["truncated.pdf"].code in {"corrupt-file", "no-text-layer"}
    for name, failure in failed.items():
        assert name in failure.message, (name, failure.message)
    assert "OCR" in failed["scan.pdf"].message
    assert "MiB" in failed["huge.txt"].message
    assert summary.to_dict()["failed"]  # serialisable for the CLI's JSON output


def test_pipeline_ignores_unsupported_file_in_folder(pipeline_run):
    summary = pipeline_run.summary
    assert [Path(p).name for p in summary.ignored] == ["ignored.xlsx"]
    assert "ignored.xlsx" not in {Path(f.path).name for f in summary.failed}


def test_pipeline_missing_path_is_reported(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    runtime = Runtime(settings)
    try:
        summary = Ingestor(settings, runtime.store, runtime.embedder).ingest([tmp_path / "nowhere"])
    finally:
        runtime.close()
    assert [(f.code, Path(f.path).name) for f in summary.failed] == [("not-found", "nowhere")]
    assert summary.new == [] and summary.ok is False
