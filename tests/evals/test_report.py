"""The files a run and a comparison leave: JSON figures, per-question lines, Markdown with definitions, PNG charts."""

from __future__ import annotations

import json

from evals.metrics import definitions, summarise
from evals.records import Citing, QuestionRecord, RankedHit
from evals.report import write_comparison, write_run_report
from evals.runner import RunResult

PNG = b"\x89PNG\r\n\x1a\n"


def _records() -> list[QuestionRecord]:
    hit = RankedHit(rank=1, doc_id="d", source="/corpus/guide.md", language="fr", score=0.9, relevant=True)
    miss = RankedHit(rank=1, doc_id="e", source="/corpus/other.md", language="en", score=0.8, relevant=False)
    return [
        QuestionRecord(id="q1", question="Taux ?", language="fr", tags=["same-language"], gold_answerable=True,
                       has_evidence=True, hits=[hit], relevant_in_index=1, answer="85 % [1]", answerable=True,
                       composer="extractive", answer_language="fr",
                       citations=[Citing(n=1, doc_id="d", relevant=True)], facts_found=[True],
                       search_ms=12.0, ask_ms=30.0),
        QuestionRecord(id="q2", question="Rate | cap?", language="en", tags=["cross-lingual"], gold_answerable=True,
                       has_evidence=True, hits=[miss], relevant_in_index=2, answer="No.", answerable=False,
                       composer="extractive", answer_language="en", facts_found=[False], search_ms=15.0,
                       ask_ms=40.0),
        QuestionRecord(id="q3", question="Submarines?", language="en", tags=["unanswerable"], gold_answerable=False,
                       has_evidence=False, answer="No.", answerable=False, composer="extractive",
                       answer_language="en", search_ms=9.0, ask_ms=20.0),
    ]


def _result(preset: str) -> RunResult:
    config = {"preset": preset, "k": 10, "composers_used": ["extractive"], "search": {"mode": "dense"},
              "index": {"collection": "eval-abc", "corpus": "/corpus", "files": 2, "chunks": 5, "reused": True}}
    records = _records()
    return RunResult(preset, summarise(records, config), records)


def test_run_report_files(tmp_path):
    result = _result("dense")
    report = write_run_report(tmp_path / "out", result, "tiny · dense")
    out = report.parent
    assert sorted(p.name for p in out.iterdir()) == ["by_language.png", "by_tag.png", "metrics.png",
                                                     "questions.jsonl", "report.md", "results.json"]
    assert all((out / name).read_bytes().startswith(PNG) for name in ("metrics.png", "by_language.png", "by_tag.png"))
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in results.items() if k != "group_sizes"} == result.summary
    assert results["group_sizes"] == {"by_language": {"en": 2, "fr": 1},
                                      "by_tag": {"cross-lingual": 1, "same-language": 1, "unanswerable": 1}}
    lines = (out / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    assert [QuestionRecord.model_validate_json(line) for line in lines] == result.records

    text = report.read_text(encoding="utf-8")
    assert text.startswith("# tiny · dense\n") and "reused (no ingest this run)" in text
    assert "| recall@1 | 0.500 [0.09, 0.91] n=2 |" in text and "![overall](metrics.png)" in text and "(by_tag.png)" in text
    assert "| fr | 1 | 1.000 |" in text                    # by-language row: n, then recall@1
    assert "| q2 | en | Rate \\| cap? | other.md |" in text  # the retrieval miss, with its pipe escaped
    assert all(f"**{name}**" in text for name in definitions(10))


def test_comparison_files(tmp_path):
    results = [_result("dense"), _result("sparse")]
    index = {"collection": "eval-abc", "corpus": "/corpus", "files": 2, "chunks": 5, "reused": False,
             "ingest_seconds": 3.5}
    report = write_comparison(tmp_path, results, index, "tiny")
    assert (tmp_path / "compare.png").read_bytes().startswith(PNG)
    data = json.loads((tmp_path / "compare.json").read_text(encoding="utf-8"))
    assert data["index"] == index and list(data["presets"]) == ["dense", "sparse"]
    text = report.read_text(encoding="utf-8")
    assert "ingested this run in 3.5 s" in text
    # Rates side by side with their intervals: the two presets cannot be told apart on two questions.
    assert "| metric | dense | sparse |" in text
    assert "| recall@1 | 0.500 [0.09, 0.91] n=2 | 0.500 [0.09, 0.91] n=2 |" in text
    assert "| preset | search_p50 |" in text
    assert "[sparse](sparse/report.md)" in text


def test_files_that_failed_to_ingest_are_listed(tmp_path):
    result = _result("dense")
    result.summary["config"]["index"]["failed"] = ["/corpus/broken.pdf: [not-a-pdf] not a PDF"]
    text = write_run_report(tmp_path, result, "tiny").read_text(encoding="utf-8")
    assert "1 files failed to ingest" in text and "- failed: /corpus/broken.pdf: [not-a-pdf] not a PDF" in text
