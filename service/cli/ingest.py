"""`helpdesk ingest`: files, folders or a llama-index reader's documents into the index, with a summary."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from common.embedder import EmbedderError
from common.runtime import Runtime
from common.store import StoreError, index_now
from service.cli.common import settings_or_fail
from service.console import RichIngestProgress, console, fail


def ingest(
    paths: Annotated[Optional[list[str]], typer.Argument(
        help="Files or folders (PDF, Markdown, HTML, text, DOCX); with --reader, the reader's arguments.")] = None,
    prune: Annotated[bool, typer.Option(help="Remove documents whose files are gone from these folders.")] = False,
    reader: Annotated[Optional[str], typer.Option(
        "--reader", help="module:function returning llama-index Documents (or a reader to load_data() from); "
                         "it is called with the arguments.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest documents into the index; unchanged files are skipped, changed ones replaced."""
    from ingest.pipeline import Ingestor

    if not paths and not reader:
        fail("give files or folders to ingest (or --reader module:function)")
    if reader and prune:
        fail("--prune works on folders, not on --reader documents")
    documents = _read_documents(reader, paths or []) if reader else None
    runtime = Runtime(settings_or_fail())
    try:
        with Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True, disable=as_json) as progress:
            ingestor = Ingestor(runtime.settings, runtime.store, runtime.embedder, RichIngestProgress(progress))
            if documents is not None:
                from ingest.llama_index_bridge import DocumentIngest

                summary = DocumentIngest(ingestor).run(documents, {})
            else:
                summary = ingestor.ingest([Path(p) for p in paths], prune=prune)
        # A server builds it in the background; here nobody waits on answers. Nothing to do unless writes wait.
        with console.status("building the search index", spinner="dots") if not as_json else nullcontext():
            index_now(runtime.store)
    except (StoreError, EmbedderError) as exc:
        fail(str(exc))
    finally:
        runtime.close()
    if as_json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)
    raise typer.Exit(0 if summary.ok else 1)


def _read_documents(spec: str, arguments: list[str]):
    """The reader's documents grouped by source, or a named error before the index is opened."""
    from ingest.llama_index_bridge import ReaderError, group_documents, read_with

    try:
        return group_documents(read_with(spec, arguments))
    except ReaderError as exc:
        fail(str(exc))


def _print_summary(summary) -> None:
    table = Table(title="ingest summary", show_header=False)
    for label, value in (
        ("new", len(summary.new)), ("updated", len(summary.updated)), ("unchanged", len(summary.unchanged)),
        ("failed", len(summary.failed)), ("removed", len(summary.removed)), ("ignored", len(summary.ignored)),
        ("chunks written", summary.chunks), ("unit vectors stored", summary.units),
        ("passages embedded", summary.embedded),
        ("pages", summary.pages), ("pages without text", summary.empty_pages),
    ):
        table.add_row(label, str(value))
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in summary.seconds.items())
    table.add_row("time", stages)
    console.print(table)
    if not summary.new and not summary.updated and summary.unchanged:
        console.print("nothing to embed: every document is unchanged")
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    for failure in summary.failed:
        console.print(f"[red]failed[/red] {escape(f'[{failure.code}] {failure.message}')}")
