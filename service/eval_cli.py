"""`helpdesk eval`: evaluate a question set over a corpus, compare presets, run SQuAD-format benchmarks.

`helpdesk eval DATASET ...` runs one dataset, `helpdesk eval compare ...` and `helpdesk eval squad ...` are
subcommands. A click group cannot take a positional argument and have subcommands too, so this group hands a first
argument that names no subcommand to the `run` command.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import click
import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from evals.dataset import EvalQuestion
    from evals.runner import RunResult

T = TypeVar("T")


class DatasetOrCommandGroup(TyperGroup):
    """Routes `eval DATASET ...` to `eval run DATASET ...`; subcommand names and options pass through."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return ["[OPTIONS]", "DATASET|COMMAND", "[ARGS]..."]


eval_app = typer.Typer(
    cls=DatasetOrCommandGroup, no_args_is_help=True,
    help="Evaluate retrieval and answers: `helpdesk eval DATASET.jsonl --corpus PATH`, or a subcommand.",
)

CorpusOption = Annotated[Path, typer.Option("--corpus", help="Folder (or file) to ingest into an eval collection.")]
PresetOption = Annotated[str, typer.Option("--preset", help="Named settings: configured, dense, sparse, hybrid, "
                                                            "hybrid-w0.5, hybrid-w1, language-boost, extractive, llm.")]
LimitOption = Annotated[Optional[int], typer.Option(
    "--limit", min=1, help="Ask only N questions, evenly spread over the set (for slow configurations).")]
ComposerOption = Annotated[Optional[str], typer.Option("--composer", help="extractive | llm (default from settings).")]
KOption = Annotated[Optional[int], typer.Option(
    "--k", min=1, help="Passages the composer receives, and that are judged (default: HELPDESK_SEARCH_K).")]
DeepKOption = Annotated[Optional[int], typer.Option(
    "--deep-k", min=1, help="Also judge a separate search this deep per question (reported as deep_recall@r).")]
OutOption = Annotated[Optional[Path], typer.Option("--out", help="Report folder (default: DATA_DIR/evals/reports/NAME).")]
JsonOption = Annotated[Optional[Path], typer.Option("--json", help="Also write the figures to this JSON file.")]


@eval_app.command("run")
def run(
    dataset: Annotated[Path, typer.Argument(help="Questions, one JSON object a line.")],
    corpus: CorpusOption,
    preset: PresetOption = "configured",
    composer: ComposerOption = None,
    k: KOption = None,
    deep_k: DeepKOption = None,
    out: OutOption = None,
    json_file: JsonOption = None,
    limit: LimitOption = None,
) -> None:
    """Evaluate DATASET over --corpus (also callable as `helpdesk eval DATASET`)."""
    from evals.dataset import load_dataset, spread

    questions = spread(_guarded(lambda: load_dataset(dataset)), limit)
    _single_run(questions, corpus, str(dataset), dataset.stem, preset, composer, k, out, json_file, deep_k)


@eval_app.command("compare")
def compare(
    dataset: Annotated[Path, typer.Argument(help="Questions, one JSON object a line.")],
    corpus: CorpusOption,
    presets: Annotated[str, typer.Option("--presets", help="Comma-separated preset names.")] = "dense,sparse,hybrid",
    composer: ComposerOption = None,
    k: KOption = None,
    deep_k: DeepKOption = None,
    out: OutOption = None,
    json_file: JsonOption = None,
    limit: LimitOption = None,
) -> None:
    """Several presets over one ingested corpus, side by side (the ingest is done, and counted, once)."""
    from common.settings import Settings
    from evals.dataset import load_dataset, spread
    from evals.presets import parse_presets
    from evals.report import write_comparison, write_json, write_run_report
    from service.console import console

    names = _guarded(lambda: parse_presets(presets))
    questions = spread(_guarded(lambda: load_dataset(dataset)), limit)
    index, results = _evaluate(questions, corpus, str(dataset), names, composer, k, deep_k)
    folder = out or Settings().data_dir / "evals" / "reports" / f"{dataset.stem}-compare"
    for result in results:
        write_run_report(folder / result.preset, result, f"{dataset.stem} · {result.preset}")
    report = write_comparison(folder, results, index, dataset.stem)
    if json_file:
        write_json(json_file, {"index": index, "presets": {r.preset: r.summary for r in results}})
    _print_figures(results)
    console.print(f"report: {report}")


@eval_app.command("squad")
def squad(
    questions_file: Annotated[Path, typer.Argument(help="SQuAD v1.1-format file whose questions are asked.")],
    contexts: Annotated[Optional[Path], typer.Option(
        "--contexts", help="SQuAD-format file whose paragraphs form the corpus (default: the questions file); "
                           "another language measures cross-lingual retrieval.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Ask only N questions, evenly spread.")] = None,
    language: Annotated[Optional[str], typer.Option("--language", help="Question language (default: detected).")] = None,
    preset: PresetOption = "configured",
    composer: ComposerOption = None,
    k: KOption = None,
    deep_k: DeepKOption = None,
    out: OutOption = None,
    json_file: JsonOption = None,
) -> None:
    """Benchmark on SQuAD-format files (XQuAD, MLQA): paragraphs become the corpus, answers the facts."""
    from common.settings import Settings
    from evals.squad import import_squad

    imported = _guarded(lambda: import_squad(questions_file, contexts, Settings(), limit=limit, language=language))
    _single_run(imported.questions, imported.corpus, str(imported.dataset), imported.dataset.stem, preset,
                composer, k, out, json_file, deep_k)


def _single_run(questions: list[EvalQuestion], corpus: Path, dataset: str, name: str, preset: str,
                composer: str | None, k: int | None, out: Path | None, json_file: Path | None,
                deep_k: int | None = None) -> None:
    from common.settings import Settings
    from evals.presets import check_preset
    from evals.report import write_json, write_run_report
    from service.console import console

    _guarded(lambda: check_preset(preset))
    _, (result,) = _evaluate(questions, corpus, dataset, [preset], composer, k, deep_k)
    folder = out or Settings().data_dir / "evals" / "reports" / f"{name}-{preset}"
    report = write_run_report(folder, result, f"{name} · {preset}")
    if json_file:
        write_json(json_file, result.summary)
    _print_figures([result])
    console.print(f"report: {report}")


def _evaluate(questions: list[EvalQuestion], corpus: Path, dataset: str, presets: list[str], composer: str | None,
              k: int | None, deep_k: int | None = None) -> tuple[dict[str, Any], list[RunResult]]:
    """Opens (ingesting once if needed) the corpus's eval collection and runs every preset on it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from common.settings import Settings
    from evals.corpus_index import open_corpus_index
    from evals.runner import run_preset
    from common.settings import COMPOSERS
    from service.console import RichIngestProgress, console, fail

    if composer is not None and composer not in COMPOSERS:
        fail(f"unknown composer {composer!r}; use one of: {', '.join(COMPOSERS)}")
    columns = (TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        index = _guarded(lambda: open_corpus_index(corpus, Settings(), RichIngestProgress(progress)))
    info = index.describe()
    console.print(f"index {info['collection']}: {info['chunks']} chunks, "
                  + ("reused" if index.reused else f"ingested in {info['ingest_seconds']:.1f} s"))
    if info["failed"]:
        console.print(f"[yellow]warning:[/yellow] {len(info['failed'])} files failed to ingest (listed in the report)")
    results = []
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            for preset in presets:
                task = progress.add_task(f"{preset}: questions", total=len(questions))
                results.append(_guarded(lambda: run_preset(
                    index.runtime, questions, preset, k=k, deep_k=deep_k, composer=composer,
                    context={"dataset": dataset, "corpus": str(corpus), "index": info},
                    on_record=lambda _: progress.advance(task))))
    finally:
        index.runtime.close()
    return info, results


def _guarded(action: Callable[[], T]) -> T:
    """Runs `action`, turning the errors a user can cause (bad file, preset, store, LLM) into a named exit."""
    from common.embedder import EmbedderError
    from common.store import StoreError
    from evals.dataset import DatasetError
    from evals.presets import PresetError
    from evals.squad import SquadError
    from qa.llm import LLMError
    from service.console import fail

    try:
        return action()
    except (DatasetError, PresetError, SquadError, OSError, StoreError, EmbedderError, LLMError) as exc:
        fail(str(exc))


def _print_figures(results: list[RunResult]) -> None:
    """Metrics as rows, presets as columns: stays readable in a narrow terminal."""
    from rich.table import Table

    from service.console import console

    from evals.report import quality_keys, rate_cell

    table = Table("metric", *(result.preset for result in results))
    first = results[0].summary
    table.add_row("n", *(str(result.summary["n"]) for result in results))
    for key in [*quality_keys(first), *first.get("language_id", {})]:
        table.add_row(key, *(rate_cell(result.summary, key) for result in results))
    for key in ("search_p50", "ask_p50"):
        table.add_row(f"{key} ms", *(_figure(result.summary["latency_ms"][key]) for result in results))
    console.print(table)
    console.print("[dim]value [95 % Wilson interval] n; presets whose intervals overlap are not shown to differ[/dim]")


def _figure(value: float | int | None) -> str:
    if value is None:
        return "–"
    return str(value) if isinstance(value, int) else f"{value:.3f}" if value <= 1 else f"{value:.0f}"
