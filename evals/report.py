"""The files an evaluation run leaves: results.json, one JSON line per question, a Markdown report, PNG charts;
and for a comparison of presets, a side-by-side table and chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.charts import grouped_bars, heatmap
from evals.metrics import LATENCY_KEYS, definitions, group_by, wilson_interval
from evals.records import QuestionRecord
from evals.runner import RunResult

# The figures the per-group charts and the comparison chart show (all of them would be unreadable); recall@k and
# friends are named by the run's k.
GROUP_CHART_KEYS = ("recall@{k}", "fact_recall", "citation_precision", "language_match", "refusal_accuracy")
COMPARE_CHART_KEYS = ("recall@1", "recall@{k}", "mrr@{k}", "ndcg@{k}", "fact_recall", "citation_precision",
                      "language_match", "refusal_accuracy")
MISSES_SHOWN = 25


def _keys(template: Sequence[str], summary: dict[str, Any]) -> list[str]:
    return [key.format(k=summary["config"]["k"]) for key in template]


def quality_keys(summary: dict[str, Any]) -> list[str]:
    return [*summary["retrieval"], *summary.get("deep_retrieval", {}), *summary["answer"]]


def rate_cell(summary: dict[str, Any], key: str) -> str:
    """"0.812 [0.68, 0.90] n=40": the rate, its 95 % Wilson interval and what it was measured over."""
    rate = summary.get("rates", {}).get(key)
    if not rate or rate["value"] is None:
        return _cell(None)
    low, high = rate["interval"] or wilson_interval(rate["value"], rate["n"])
    return f"{rate['value']:.3f} [{low:.2f}, {high:.2f}] n={rate['n']}"


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def write_run_report(out: Path, result: RunResult, title: str) -> Path:
    """Writes everything for one run into `out`; returns the Markdown report's path."""
    out.mkdir(parents=True, exist_ok=True)
    summary, records = result.summary, result.records
    sizes = {
        "by_language": {lang: len(g) for lang, g in group_by(records, lambda r: [r.language]).items()},
        "by_tag": {tag: len(g) for tag, g in group_by(records, lambda r: r.tags).items()},
    }
    write_json(out / "results.json", {**summary, "group_sizes": sizes})
    (out / "questions.jsonl").write_text(
        "".join(record.model_dump_json() + "\n" for record in records), encoding="utf-8")
    overview = {**summary["retrieval"], **summary.get("deep_retrieval", {}), **summary["answer"]}
    grouped_bars(out / "metrics.png", f"{title}: overall", list(overview), {result.preset: list(overview.values())})
    for name in ("by_language", "by_tag"):
        groups = summary[name]
        grouped_bars(out / f"{name}.png", f"{title}: {name.replace('_', ' ')}", list(groups),
                     {key: [groups[g][key] for g in groups] for key in _keys(GROUP_CHART_KEYS, summary)})
    pairs = summary.get("by_language_pair") or {}
    if pairs:
        rows, columns = _pair_axes(pairs)
        heatmap(out / "language_pairs.png", f"{title}: recall@{summary['config']['k']} by language pair", rows,
                columns, {(r, c): (cell["recall"], cell["n"]) for r, cells in pairs.items() for c, cell in cells.items()},
                "question language", "language of the evidence")
    report = out / "report.md"
    report.write_text(_run_markdown(summary, records, sizes, title), encoding="utf-8")
    return report


def write_comparison(out: Path, results: Sequence[RunResult], index: dict[str, Any], title: str) -> Path:
    """Side-by-side table, chart and JSON of several presets run on one index; returns the Markdown's path."""
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "compare.json", {"index": index, "presets": {r.preset: r.summary for r in results}})
    first = results[0].summary
    chart_keys = _keys(COMPARE_CHART_KEYS, first)
    grouped_bars(out / "compare.png", f"{title}: presets compared", chart_keys,
                 {r.preset: [_flat(r.summary).get(key) for key in chart_keys] for r in results})
    keys = quality_keys(first)
    lines = [f"# {title}: presets compared", "", _index_line(index), "",
             "Each cell: the rate, its 95 % Wilson interval, and n. Presets whose intervals overlap are not shown "
             "to differ on that metric.", "",
             _table(["metric", *(r.preset for r in results)],
                    [[key, *(rate_cell(r.summary, key) for r in results)] for key in keys]), "",
             "## Latency (ms)", "",
             _table(["preset", *LATENCY_KEYS], [[r.preset, *(r.summary["latency_ms"][k] for k in LATENCY_KEYS)]
                                                for r in results]),
             "", "![presets compared](compare.png)", "",
             "Per-preset reports: " + ", ".join(f"[{r.preset}]({r.preset}/report.md)" for r in results), "",
             *_definitions(first)]
    report = out / "compare.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report


def _flat(summary: dict[str, Any]) -> dict[str, Any]:
    return {**summary["retrieval"], **summary.get("deep_retrieval", {}), **summary["answer"], **summary["latency_ms"]}


def _run_markdown(summary: dict[str, Any], records: Sequence[QuestionRecord], sizes: dict[str, dict[str, int]],
                  title: str) -> str:
    config = summary["config"]
    lines = [
        f"# {title}", "",
        f"{summary['n']} questions ({summary['n_answerable']} answerable), preset `{config['preset']}`, "
        f"search mode `{config['search']['mode']}`, composer `{', '.join(config['composers_used']) or '-'}`, "
        f"the composer received the top {config['k']} passages; those are the ones judged"
        + (f"; deep_* figures come from a separate search of depth {config['deep_k']}" if config.get("deep_k") else "")
        + ".", "",
        _index_line(config.get("index", {})), "",
        *_failures(config.get("index", {})),
        "## Overall", "",
        _table(["metric", "value [95 % interval] n"], [[key, rate_cell(summary, key)] for key in quality_keys(summary)]),
        "", _table(["language detector", "value [95 % interval] n"],
                   [[key, rate_cell(summary, key)] for key in summary.get("language_id", {})]),
        "", "![overall](metrics.png)", "",
        "## Latency (ms)", "",
        _table(list(LATENCY_KEYS), [[summary["latency_ms"][key] for key in LATENCY_KEYS]]), "",
        "## Answer length (quoted lines per answered question; characters per quoted line)", "",
        _table(["median lines", "mean lines", "median characters", "90th percentile characters"],
               [[summary.get("answer_shape", {}).get(key) for key in ("median_quotes", "mean_quotes",
                                                                      "quote_chars_p50", "quote_chars_p90")]]), "",
    ]
    for name in ("by_language", "by_tag"):
        groups = summary[name]
        group_keys = [*summary["retrieval"], *summary["answer"]]
        lines += [f"## {name.replace('_', ' ').capitalize()}", "",
                  _table([name.split("_")[1], "n", *group_keys],
                         [[g, sizes[name][g], *(groups[g][key] for key in group_keys)] for g in groups]),
                  "", f"![{name}]({name}.png)", ""]
    lines += _language_pair_section(summary.get("by_language_pair") or {}, config["k"])
    lines += _misses(records, config["k"])
    lines += _definitions(summary)
    lines += ["", "## Configuration", "", "```json", json.dumps(config, ensure_ascii=False, indent=2), "```"]
    return "\n".join(lines) + "\n"


def _pair_axes(pairs: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    return sorted(pairs), sorted({column for cells in pairs.values() for column in cells})


def _language_pair_section(pairs: dict[str, dict[str, Any]], k: int) -> list[str]:
    """recall@k per (question language, evidence language): which pairs fail, each cell with its n."""
    if not pairs:
        return []
    rows, columns = _pair_axes(pairs)
    table = [[row, *(f"{pairs[row][c]['recall']:.2f} ({pairs[row][c]['n']})" if c in pairs[row] else "" for c in columns)]
             for row in rows]
    return [f"## recall@{k} by language pair", "",
            "Rows: the question's language; columns: the language of the chunks holding its evidence (a question "
            "whose evidence stands in several languages counts in each); n in brackets.", "",
            _table(["question \\ evidence", *columns], table), "", "![language pairs](language_pairs.png)", ""]


def _index_line(index: dict[str, Any]) -> str:
    if not index:
        return "Index: the configured collection."
    how = ("reused (no ingest this run)" if index.get("reused")
           else f"ingested this run in {index.get('ingest_seconds', 0):.1f} s")
    failed = f"; {len(index['failed'])} files failed to ingest" if index.get("failed") else ""
    return (f"Index `{index.get('collection')}` over `{index.get('corpus')}`: {index.get('files')} files, "
            f"{index.get('chunks')} chunks, {how}{failed}.")


def _failures(index: dict[str, Any]) -> list[str]:
    failed = index.get("failed", [])
    return [*(f"- failed: {failure}" for failure in failed), ""] if failed else []


def _misses(records: Sequence[QuestionRecord], k: int) -> list[str]:
    misses = [r for r in records if r.gold_answerable and r.has_evidence and not any(r.relevance[:k])]
    if not misses:
        return []
    rows = [[r.id, r.language, r.question, r.hits[0].source.rsplit("/", 1)[-1] if r.hits else "(none)"]
            for r in misses[:MISSES_SHOWN]]
    more = ["", f"... and {len(misses) - MISSES_SHOWN} more (questions.jsonl)"] if len(misses) > MISSES_SHOWN else []
    return [f"## Answerable questions with no relevant chunk in the top {k}", "",
            _table(["id", "lang", "question", "top hit"], rows), *more, ""]


def _definitions(summary: dict[str, Any]) -> list[str]:
    config = summary["config"]
    return ["## Metric definitions", "",
            *(f"- **{name}**: {text}" for name, text in definitions(config["k"], config.get("deep_k")).items())]


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1 else f"{value:.1f}"
    return str(value).replace("|", "\\|")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
