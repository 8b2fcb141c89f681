"""Ask, search and reply drafts: the same JSON shapes as `helpdesk ask --json` / `helpdesk search --json`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from qa.draft import compose_draft
from qa.retriever import parse_filters
from service.api import public
from service.api.auth import require_api_key
from service.api.budget import check_history, check_inquiry, check_question
from service.api.deps import core
from service.api.schemas import AskRequest, DraftRequest, SearchRequest
from service.api.state import AppState

router = APIRouter(prefix="/v1", tags=["answers"], dependencies=[Depends(require_api_key)])


@router.post("/ask")
def ask(body: AskRequest, request: Request, state: AppState = Depends(core)) -> dict:
    """A cited answer in the asker's language, or a refusal (`answerable: false`)."""
    check_question(state.settings.input, body.question)
    check_history(state.settings.input, [t.content for t in body.history])
    answer = state.helpdesk.ask(
        body.question, language=body.language, language_hint=body.language_hint, filters=parse_filters(body.filters),
        composer=body.composer, history=[t.model_dump() for t in body.history], k=body.k, mode=body.mode,
    )
    state.metrics.count_answer(answer.answerable, answer.composer)
    return public.answer(answer, str(request.base_url))


@router.post("/search")
def search(body: SearchRequest, request: Request, state: AppState = Depends(core)) -> dict:
    check_question(state.settings.input, body.query, field="query")
    result = state.helpdesk.retriever.search(body.query, k=body.k, mode=body.mode, language=body.language,
                                             filters=parse_filters(body.filters))
    return {"query": body.query, "language": result.language,
            "results": [public.hit(hit, str(request.base_url)) for hit in result.hits], "timings_ms": result.timings_ms}


@router.post("/draft")
def draft(body: DraftRequest, request: Request, state: AppState = Depends(core)) -> dict:
    """A reply draft for helpdesk staff, in the inquiry's language: each question of the inquiry answered under its
    own number, one reference list, the staff signature (`sender_name`) under the closing."""
    check_inquiry(state.settings.input, body.inquiry)
    made = make_draft(state, body.inquiry, body.sender_name, body.language, parse_filters(body.filters))
    base = str(request.base_url)
    return {"language": made.language, "draft": made.text, "subject": made.subject, "answerable": made.answerable,
            "questions": [{"question": p.question, "answerable": p.answer.answerable} for p in made.parts],
            "citations": [public.citation(c, base) for c in made.citations],
            **({"notice": made.notice} if made.notice else {})}


def make_draft(state: AppState, inquiry: str, sender_name: str | None, language: str | None, filters: dict):
    """The draft for the API and the UI alike: every question asked through the helpdesk with `filters`."""

    def ask(question: str, lang: str, history: list[dict[str, str]]):
        answer = state.helpdesk.ask(question, language=lang, filters=filters, history=history)
        state.metrics.count_answer(answer.answerable, answer.composer)
        return answer

    return compose_draft(ask, inquiry, sender_name, language)
