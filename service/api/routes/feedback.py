from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from service.api.auth import require_admin, require_api_key
from service.api.deps import core
from service.api.schemas import FeedbackRequest
from service.api.state import AppState

router = APIRouter(prefix="/v1", tags=["feedback"], dependencies=[Depends(require_api_key)])


@router.post("/feedback", status_code=201)
def feedback(body: FeedbackRequest, state: AppState = Depends(core)) -> dict:
    """Thumbs up/down on an answer, redacted before it is stored; `helpdesk feedback export` turns these into eval
    questions."""
    feedback_id = state.feedback.add(body.rating, body.question, body.answer, body.language, body.answerable,
                                     body.citations, body.comment)
    return {"id": feedback_id}


@router.delete("/feedback/{feedback_id}", dependencies=[Depends(require_admin)])
def delete_feedback(feedback_id: int, state: AppState = Depends(core)) -> dict:
    """Erase one feedback row (a person's request to have their question deleted)."""
    if not state.feedback.delete(feedback_id):
        raise HTTPException(404, detail=f"no feedback with id {feedback_id}")
    return {"deleted": feedback_id}
