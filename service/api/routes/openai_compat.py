"""OpenAI-compatible chat completions, so Open WebUI, LibreChat or the openai client can use the helpdesk.

The last user message is answered with the earlier turns as conversation (follow-ups are condensed). Content
carries the [n] markers and a numbered source list; the response (the final chunk when streaming) also carries
`citations` as structured data.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import StreamingResponse

from common.schema import Answer
from qa.draft import reference_line
from qa.retriever import parse_filters
from service.api.auth import require_api_key
from service.api.deps import core
from service.api.schemas import ChatCompletionRequest, ChatMessage
from service.api.state import AppState

MODEL_ID = "funding-helpdesk"
router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Depends(require_api_key)])


@router.get("/models")
def models() -> dict:
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "funding-helpdesk"}]}


def _text(message: ChatMessage) -> str:
    if isinstance(message.content, list):  # content parts: keep the text ones
        return " ".join(part.get("text", "") for part in message.content if part.get("type") == "text")
    return message.content or ""


def _content(answer: Answer) -> str:
    if not answer.citations:
        return answer.answer
    return answer.answer + "\n\n" + "\n".join(reference_line(c) for c in answer.citations)


@router.post("/chat/completions")
def chat_completions(body: ChatCompletionRequest, state: AppState = Depends(core)):
    turns = [{"role": m.role, "content": _text(m)} for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1]["role"] != "user" or not turns[-1]["content"].strip():
        raise HTTPException(422, detail="messages: the last message must be a non-empty user message")
    question, history = turns[-1]["content"], turns[:-1]
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    options = {"history": history, "language": body.language, "filters": parse_filters(body.filters)}
    if not body.stream:
        answer = state.helpdesk.ask(question, **options)
        state.metrics.count_answer(answer.answerable, answer.composer)
        return {
            "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": _content(answer)},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": [c.model_dump() for c in answer.citations],
            "helpdesk": answer.to_json_dict(),
        }
    events = state.helpdesk.ask_stream(question, stream=True, **options)
    first = next(events)  # run up to the first delta (or the whole answer) now, so errors become HTTP errors

    def chunks() -> Iterator[str]:
        def chunk(delta: dict, finish: str | None = None, **extra) -> str:
            payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

        yield chunk({"role": "assistant"})
        streamed = ""
        answer = None
        for event in _chain(first, events):
            if event.delta is not None:
                streamed += event.delta
                yield chunk({"content": event.delta})
            else:
                answer = event.answer
        state.metrics.count_answer(answer.answerable, answer.composer)
        full = _content(answer)
        if not streamed:  # the extractive composer writes the whole answer at once: send it in word-sized pieces
            for piece in re.findall(r"\S+\s*|\s+", full):
                yield chunk({"content": piece})
        elif streamed.strip() != answer.answer.strip():
            # Validation changed the LLM's draft (dropped markers, refusal, fallback): send the checked answer.
            yield chunk({"content": "\n\n---\n" + full})
        else:
            yield chunk({"content": full[len(answer.answer):]})
        yield chunk({}, "stop", citations=[c.model_dump() for c in answer.citations], helpdesk=answer.to_json_dict())
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _chain(first, rest):
    yield first
    yield from rest
