"""`helpdesk` command line: ingest, search, ask, chat, serve, status, feedback export/purge, corpus download."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from common.runtime import Runtime
from common.schema import STATE_READY
from common.settings import Settings, settings_error
from common.store import StoreError, index_now
from common.embedder import EmbedderError
from service.console import RichIngestProgress, console, fail
from service.eval_cli import eval_app

app = typer.Typer(help="Funding Helpdesk: cited answers over EU funding documents.", no_args_is_help=True)
corpus_app = typer.Typer(help="The sample corpus and the official texts.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
feedback_app = typer.Typer(help="Answer feedback collected by the service.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")
app.add_typer(eval_app, name="eval")
def _settings() -> Settings:
    """The settings from the environment; a value that is not allowed stops the command at once, named."""
    try:
        return Settings()
    except ValidationError as exc:
        fail(settings_error(exc))


FilterOption = Annotated[Optional[list[str]], typer.Option("--filter", "-f", help="key=value (fund, country, language, doc_type, period, doc_id); repeatable.")]


@app.command()
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
    runtime = Runtime(_settings())
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
        ("chunks written", summary.chunks), ("passages embedded", summary.embedded),
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


def _retriever(runtime: Runtime):
    from qa.retriever import Retriever

    return Retriever(runtime.settings, runtime.store, runtime.embedder)


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="What to look for, in any served language.")],
    k: Annotated[int, typer.Option("--k", help="Number of results.")] = 5,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Question language (default: detected).")] = None,
    filters: FilterOption = None,
    mode: Annotated[Optional[str], typer.Option("--mode", help="dense | sparse | hybrid (default from settings).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Top chunks for a query, with title, page, section, language and score."""
    from qa.retriever import FilterError, SearchModeError, parse_filters

    runtime = Runtime(_settings())
    try:
        conditions = parse_filters(filters)
        result = _retriever(runtime).search(text, k=k, mode=mode, language=lang, filters=conditions)
    except (FilterError, SearchModeError, StoreError, EmbedderError) as exc:
        fail(str(exc))
    finally:
        runtime.close()
    if as_json:
        print(json.dumps({"query": text, "results": [h.model_dump(exclude={"url"}) for h in result.hits]},
                         ensure_ascii=False, indent=2))
        return
    if not result.hits:
        console.print("no results")
    for rank, hit in enumerate(result.hits, 1):
        pages = _pages(hit.page_start, hit.page_end)
        print(f"{rank}. {hit.title} [{hit.language}]{pages}  score {hit.score:.3f}")
        if hit.section:
            print(f"   § {hit.section}")
        body = " ".join(hit.text.split())
        print(f"   {body[:300]}{'…' if len(body) > 300 else ''}\n")


def _pages(start: int | None, end: int | None) -> str:
    if start is None:
        return ""
    return f", p. {start}" if start == end or end is None else f", pp. {start}-{end}"


ComposerOption = Annotated[Optional[str], typer.Option("--composer", help="extractive | llm | auto (default from settings).")]


@contextmanager
def _helpdesk_session():
    """A Helpdesk over the configured store, closed (LLM client, store, cache) however the command ends."""
    from qa.helpdesk import Helpdesk

    runtime = Runtime(_settings())
    helpdesk = None
    try:
        helpdesk = Helpdesk(runtime.settings, runtime.store, runtime.embedder)
        yield helpdesk
    finally:
        if helpdesk:
            helpdesk.close()
        runtime.close()


def _ask_errors():
    """What a user can cause or fix (input, configuration, a service down); anything else is a bug and shows as one."""
    from qa.helpdesk import QuestionError
    from qa.llm import LLMError
    from qa.retriever import FilterError, SearchModeError

    return FilterError, SearchModeError, QuestionError, LLMError, StoreError, EmbedderError


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in any served language.")],
    lang: Annotated[Optional[str], typer.Option("--lang", help="Answer language (default: the question's).")] = None,
    filters: FilterOption = None,
    composer: ComposerOption = None,
    k: Annotated[Optional[int], typer.Option("--k", help="Passages to retrieve.")] = None,
    mode: Annotated[Optional[str], typer.Option("--mode", help="dense | sparse | hybrid.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """A cited answer from the ingested documents, or a plain refusal, in the asker's language."""
    from qa.retriever import parse_filters

    try:
        with _helpdesk_session() as helpdesk:
            answer = _answer(helpdesk, question, stream=not as_json, lang=lang, filters=parse_filters(filters),
                             composer=composer, k=k, mode=mode)
    except _ask_errors() as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(answer.to_json_dict(), ensure_ascii=False, indent=2))
    raise typer.Exit(0)


def _answer(helpdesk, question: str, stream: bool, lang: str | None = None, history=None, **options):
    """Runs one question; in a terminal, LLM text is shown as it arrives, then the checked answer and sources."""
    answer = None
    streamed: list[str] = []
    for event in helpdesk.ask_stream(question, language=lang, history=history, stream=stream, **options):
        if event.delta is not None:
            streamed.append(event.delta)
            print(event.delta, end="", flush=True)
        else:
            answer = event.answer
    if stream:
        if streamed:
            print("\n")
        # Validation may have dropped markers, refused, or fallen back: then the streamed draft is not the answer.
        changed = "".join(streamed).strip() != answer.answer.strip()
        if streamed and changed:
            console.print("[dim]checked answer:[/dim]")
        _print_answer(answer, with_text=not streamed or changed)
    return answer


def _print_answer(answer, with_text: bool = True) -> None:
    if with_text:
        print(answer.answer)
    if answer.citations:
        print()
    for citation in answer.citations:
        pages = _pages(citation.page_start, citation.page_end)
        print(f"[{citation.n}] {citation.title} ({citation.language}){pages}")
        if citation.section:
            print(f"    § {citation.section}")
        if citation.url:
            print(f"    {citation.url}")
    fallback = answer.diagnostics.get("fallback")
    if fallback:
        console.print(f"[yellow]note:[/yellow] the LLM failed ({escape(fallback['reason'])}); answered extractively")


@app.command()
def chat(
    lang: Annotated[Optional[str], typer.Option("--lang", help="Answer language (default: each question's).")] = None,
    filters: FilterOption = None,
    composer: ComposerOption = None,
) -> None:
    """Interactive questions and answers; follow-up questions use the conversation. Empty line or Ctrl-D ends."""
    from qa.retriever import parse_filters

    history: list[dict[str, str]] = []
    try:
        with _helpdesk_session() as helpdesk:
            conditions = parse_filters(filters)
            while True:
                try:
                    question = input("? ").strip()
                except EOFError:
                    break
                if not question or question in ("exit", "quit"):
                    break
                try:
                    answer = _answer(helpdesk, question, stream=True, lang=lang, history=history,
                                     filters=conditions, composer=composer)
                except _ask_errors() as exc:
                    console.print(f"[red]error:[/red] {escape(str(exc))}")
                    continue
                history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
                print()
    except _ask_errors() as exc:
        fail(str(exc))


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Interface to bind (default HELPDESK_HOST, 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default HELPDESK_PORT, 8000).")] = None,
    ui: Annotated[bool, typer.Option(help="Mount the Gradio chat UI at /.")] = True,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error; applies to every library's logger.")] = "info",
) -> None:
    """The HTTP API (/docs), the OpenAI-compatible endpoint and the chat UI on one port."""
    import logging

    import uvicorn

    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        fail(f"--log-level {log_level!r}: use debug, info, warning or error")
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")

    from service.api import create_app

    from qa.llm import LLMError

    settings = _settings()
    try:
        application = create_app(settings, with_ui=ui)
    except (StoreError, EmbedderError, LLMError) as exc:
        fail(str(exc))
    # The event loop that admits, queues and refuses requests competes for the GIL with the worker threads
    # answering; 1 ms turns instead of 5 ms made it answer sooner at the same throughput (bench/load.py).
    sys.setswitchinterval(0.001)
    uvicorn.run(application, host=host or settings.service.host, port=port or settings.service.port,
                log_level=log_level.lower(), timeout_keep_alive=settings.service.keep_alive_s)


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL file to write (the evals dataset format).")] = Path("feedback.jsonl"),
) -> None:
    """Write the kept answer feedback (past-retention rows are purged first; redacted) as eval questions."""
    from service.feedback import FeedbackStore, to_eval_questions

    store = FeedbackStore.open(_settings())
    try:
        store.purge_expired()
        questions = to_eval_questions(store.rows())
    finally:
        store.close()
    out.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    console.print(f"wrote {len(questions)} questions to {out}")


@feedback_app.command("purge")
def feedback_purge(
    older_than_days: Annotated[Optional[float], typer.Option("--older-than-days", min=0, help="Delete rows older than this (default: HELPDESK_FEEDBACK_RETENTION_DAYS).")] = None,
    ids: Annotated[Optional[list[int]], typer.Option("--id", help="Delete this row (the id POST /v1/feedback returned); repeatable.")] = None,
) -> None:
    """Erase feedback: rows past the retention (the default), rows older than N days, or given rows."""
    from service.feedback import FeedbackStore

    settings = _settings()
    store = FeedbackStore.open(settings)
    try:
        if ids:
            missing = [i for i in ids if not store.delete(i)]
            deleted = len(ids) - len(missing)
        elif older_than_days is not None:
            missing, deleted = [], store.purge_older_than(older_than_days)
        else:
            missing, deleted = [], store.purge_expired()
    finally:
        store.close()
    console.print(f"deleted {deleted} feedback rows")
    if missing:
        fail(f"no feedback with id {', '.join(map(str, missing))}", code=1)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Collection, engine, model, and documents and chunks per language."""
    runtime = Runtime(_settings())
    try:
        store = runtime.store
        info = store.collection_info()
        chunks: dict[str, int] = {}
        documents: dict[str, set[str]] = {}
        for _, payload in store.scroll({"state": STATE_READY}, ["doc_id", "language"]):
            chunks[payload["language"]] = chunks.get(payload["language"], 0) + 1
            documents.setdefault(payload["language"], set()).add(payload["doc_id"])
        pending = store.count({"state": "pending"})
        index_state = getattr(store, "index_state", None)  # the embedded store's; a server indexes on its own
        index = index_state() if index_state else None
    except StoreError as exc:
        fail(str(exc))
    finally:
        runtime.close()
    report = {
        "collection": runtime.settings.store.collection,
        "engine": store.engine,
        "data_dir": str(runtime.settings.data_dir),
        "embed_model": info.embed_model if info else None,
        "dim": info.dim if info else None,
        "documents": sum(len(v) for v in documents.values()),
        "chunks": sum(chunks.values()),
        "pending_chunks": pending,
        "index": index,
        "by_language": {lang: {"documents": len(documents[lang]), "chunks": chunks[lang]} for lang in sorted(chunks)},
    }
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for key in ("collection", "engine", "data_dir", "embed_model", "dim", "documents", "chunks", "pending_chunks"):
        print(f"{key:>15}: {report[key]}")
    if index is not None:
        print(f"{'index':>15}: {'build pending' if index['pending'] else 'built or not needed'}"
              f"{', building' if index['building'] else ''} ({index['segments']} segments)")
    table = Table("language", "documents", "chunks")
    for lang, row in report["by_language"].items():
        table.add_row(lang, str(row["documents"]), str(row["chunks"]))
    Console().print(table)


@corpus_app.command("download")
def corpus_download(
    dest: Annotated[Path, typer.Option(help="Folder to save into (<dest>/<lang>/<CELEX>.pdf).")] = Path("data/official"),
    lang: Annotated[Optional[list[str]], typer.Option("--lang", help="Languages (repeatable); default: en.")] = None,
    celex: Annotated[Optional[list[str]], typer.Option(help="Only these CELEX numbers (repeatable).")] = None,
    manifest: Annotated[Path, typer.Option(help="Manifest listing the official texts.")] = Path("corpus/manifest.yaml"),
    url_pattern: Annotated[Optional[str], typer.Option(help="Override the manifest's download address pattern.")] = None,
) -> None:
    """Download the official texts the manifest lists (needs internet), ready for `helpdesk ingest`."""
    from ingest.download import download_official
    from ingest.manifest import ManifestError, read_manifest

    try:
        parsed = read_manifest(manifest)
        report = download_official(parsed, dest, lang or ["en"], celex, url_pattern,
                                   on_file=lambda label, state: console.print(f"{state:>7} {label}"))
    except (ManifestError, ValueError) as exc:
        fail(str(exc))
    console.print(f"saved {len(report.saved)}, already there {len(report.skipped)}, failed {len(report.failed)}")
    for failure in report.failed:
        console.print(f"[red]failed[/red] {escape(failure)}")
    raise typer.Exit(1 if report.failed else 0)
