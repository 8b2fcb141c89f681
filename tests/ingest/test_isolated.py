"""Per-file limits: extraction runs in a child process; too slow or too hungry means a named error, and the rest of
the batch lands."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.runtime import Runtime
from common.settings import IngestSettings
from ingest.isolated import ExtractionMemoryError, ExtractionTimeoutError, extract_isolated
from ingest.pipeline import Ingestor

BIG_TEXT = (("Article 5. Eligible costs include staff costs and travel. " * 20 + "\n\n") * 30000).encode()  # 35 MB


def test_a_normal_file_is_extracted_in_the_child(builders):
    loaded = extract_isolated(Path("ok.pdf"), builders.pdf(["Article 112\nRates are 85 %.", "Second page."]), 30, 512)
    assert loaded.page_count == 2 and "85 %" in loaded.pages[0].text


def test_named_loader_errors_come_back_from_the_child():
    with pytest.raises(Exception) as raised:
        extract_isolated(Path("fake.pdf"), b"plain text", 30, 512)
    assert raised.value.code == "not-a-pdf" and "fake.pdf" in str(raised.value)


def test_extraction_past_the_time_limit_is_stopped(builders):
    slow = builders.pdf([f"Page {i}: " + "eligible costs and co-financing rates " * 40 for i in range(300)])
    with pytest.raises(ExtractionTimeoutError, match="longer than 0.2 s"):
        extract_isolated(Path("slow.pdf"), slow, 0.2, 1024)


def test_extraction_past_the_memory_cap_is_stopped():
    with pytest.raises(ExtractionMemoryError, match="120 MiB"):
        extract_isolated(Path("big.txt"), BIG_TEXT, 60, 120)
    assert extract_isolated(Path("small.md"), b"# Title\n\nSmall text.", 60, 120).page_count == 1


def test_the_batch_goes_on_without_the_file_over_the_limit(tmp_path, make_settings):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "big.txt").write_bytes(BIG_TEXT)
    (folder / "note.md").write_text("# Note\n\nThe co-financing rate is 85 % for less developed regions.\n")
    settings = make_settings(ingest=IngestSettings(extract_memory_mib=120))
    runtime = Runtime(settings)
    try:
        summary = Ingestor(settings, runtime.store, runtime.embedder).ingest([folder])
    finally:
        runtime.close()
    assert [f.code for f in summary.failed] == ["extraction-memory"]
    assert "big.txt" in summary.failed[0].path and len(summary.new) == 1
