from __future__ import annotations

from fastapi import APIRouter, Depends

from service.api.auth import require_api_key
from service.api.deps import core
from service.api.schemas import FeedbackRequest
from service.api.state import AppState

router = APIRouter(prefix="/v1", tags=["feedback"], dependencies=[Depends(require_api_key)])


@router.post("/feedback", status_code=201)
def feedback(body: FeedbackRequest, state: AppState = Depends(core)) -> dict:
    """Thumbs up/down on an answer; `helpdesk feedback export` turns these into eval questions."""
    feedback_id = state.feedback.add(body.rating, body.question, body.answer, body.language, body.answerable,
                                     body.citations, body.comment)
    return {"id": feedback_id}
