"""`helpdesk search`, `ask` and `chat`: passages and cited answers from the index."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Annotated, Optional

import typer
from rich.markup import escape

from common.embedder import EmbedderError
from common.runtime import Runtime
from common.store import StoreError
from service.cli.common import ComposerOption, FilterOption, page_range, settings_or_fail
from service.console import console, fail


def _retriever(runtime: Runtime):
    from qa.retriever import Retriever

    return Retriever(runtime.settings, runtime.store, runtime.embedder)


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

    runtime = Runtime(settings_or_fail())
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
        pages = page_range(hit.page_start, hit.page_end)
        print(f"{rank}. {hit.title} [{hit.language}]{pages}  score {hit.score:.3f}")
        if hit.section:
            print(f"   § {hit.section}")
        body = " ".join(hit.text.split())
        print(f"   {body[:300]}{'…' if len(body) > 300 else ''}\n")


@contextmanager
def _helpdesk_session():
    """A Helpdesk over the configured store, closed (LLM client, store, cache) however the command ends."""
    from qa.helpdesk import Helpdesk

    runtime = Runtime(settings_or_fail())
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
        pages = page_range(citation.page_start, citation.page_end)
        print(f"[{citation.n}] {citation.title} ({citation.language}){pages}")
        if citation.section:
            print(f"    § {citation.section}")
        if citation.url:
            print(f"    {citation.url}")
    fallback = answer.diagnostics.get("fallback")
    if fallback:
        console.print(f"[yellow]note:[/yellow] the LLM failed ({escape(fallback['reason'])}); answered extractively")


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
