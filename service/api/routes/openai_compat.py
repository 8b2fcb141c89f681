"""OpenAI-compatible chat completions, so Open WebUI, LibreChat or the openai client can use the helpdesk.

The last user message is answered with the earlier turns as conversation (follow-ups are condensed). Content
carries the [n] markers and a numbered source list linking to the cited page of each original; the response (the
final chunk when streaming) also carries `citations` as structured data. As OpenAI does: the requested model is
echoed (404 for a model this server does not have), `usage` counts tokens, `stream_options.include_usage` adds a
usage chunk, `max_tokens` cuts the content (finish_reason "length"), and `n` other than 1 is refused.
Front-ends' background task prompts (chat titles, tags, follow-ups) are answered without retrieval (tasks.py).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse

from common.schema import Answer
from common.settings import Settings
from qa.llm import LLMError
from qa.retriever import parse_filters
from service.api import public, tasks
from service.api.auth import require_api_key
from service.api.budget import check_history, check_question, check_text
from service.api.deps import core
from service.api.schemas import ChatCompletionRequest, ChatMessage
from service.api.state import AppState
from service.api.tokens import TokenCounter, cut_to_tokens, token_counter

MODEL_ID = "funding-helpdesk"
router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Depends(require_api_key)])
log = logging.getLogger("helpdesk")


class ModelNotFound(HTTPException):
    def __init__(self, model: str) -> None:
        super().__init__(404, detail=f"the model {model[:100]!r} does not exist; GET /v1/models lists the models")
        self.code = "model_not_found"


class FieldRefused(HTTPException):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(422, detail=message)
        self.code = "invalid_input"
        self.fields = [{"field": field, "message": message}]


def model_names(settings: Settings) -> list[str]:
    """The helpdesk's own name, and the configured LLM's name as an alias of it."""
    names = [MODEL_ID]
    if settings.llm.configured and settings.llm.model_name not in names:
        names.append(settings.llm.model_name)
    return names


@router.get("/models")
def models(state: AppState = Depends(core)) -> dict:
    return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "funding-helpdesk"}
                                       for name in model_names(state.settings)]}


def _text(message: ChatMessage) -> str:
    if isinstance(message.content, list):  # content parts: keep the text ones
        return " ".join(str(part.get("text", "")) for part in message.content if part.get("type") == "text")
    return message.content or ""


def _content(answer: Answer, base_url: str) -> str:
    if not answer.citations:
        return answer.answer
    return answer.answer + "\n\n" + "\n".join(public.reference_line(c, base_url) for c in answer.citations)


def _usage(prompt: int, completion: int) -> dict:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _max_tokens(body: ChatCompletionRequest, settings: Settings) -> int | None:
    requested = body.max_completion_tokens or body.max_tokens
    field = "max_completion_tokens" if body.max_completion_tokens else "max_tokens"
    if requested and requested > settings.llm.max_tokens:
        raise FieldRefused(field, f"{field} is {requested}; this helpdesk writes at most {settings.llm.max_tokens} "
                                  "tokens (HELPDESK_LLM_MAX_TOKENS)")
    return requested


@router.post("/chat/completions")
def chat_completions(body: ChatCompletionRequest, request: Request, state: AppState = Depends(core)):
    settings = state.settings
    if body.model not in model_names(settings):
        raise ModelNotFound(body.model)
    max_tokens = _max_tokens(body, settings)
    texts = [(m.role, _text(m)) for m in body.messages]
    turns = [{"role": role, "content": text} for role, text in texts if role in ("user", "assistant")]
    if not turns or turns[-1]["role"] != "user" or not turns[-1]["content"].strip():
        raise FieldRefused("messages", "the last message must be a non-empty user message")
    question, history = turns[-1]["content"], turns[:-1]
    task = tasks.recognise(question)
    if task is None:
        check_question(settings.input, question, field="messages")
    else:  # a task prompt quotes the conversation: it gets the history's budget, and costs no retrieval
        check_text("messages", question, settings.input.max_history_chars + settings.input.max_question_chars)
    check_history(settings.input, [t["content"] for t in history], field="messages")

    count = token_counter(state.runtime.embedder)
    prompt_tokens = sum(count(text) for _, text in texts)
    reply = _Reply(body, str(request.base_url), count, prompt_tokens, max_tokens)
    if task is not None:
        earlier = [t["content"] for t in history if t["role"] == "user"]
        return reply.send(_answer_task(state, task, body.messages, question, earlier, max_tokens))

    options = {"history": history, "language": body.language, "filters": parse_filters(body.filters),
               "max_tokens": max_tokens}
    if not body.stream:
        answer = state.helpdesk.ask(question, **options)
        state.metrics.count_answer(answer.answerable, answer.composer)
        return reply.complete(_content(answer, reply.base_url), answer)
    events = state.helpdesk.ask_stream(question, stream=True, **options)
    first = next(events)  # run up to the first delta (or the whole answer) now, so errors become HTTP errors
    return reply.stream(_chain(first, events), state)


def _answer_task(state: AppState, task: tasks.Task, messages: list[ChatMessage], prompt: str,
                 earlier_user_turns: list[str], max_tokens: int | None) -> str:
    mode = state.settings.service.task_prompts
    llm = state.helpdesk.llm
    if llm is not None and mode in ("auto", "llm"):
        try:
            return llm.complete([{"role": m.role, "content": _text(m)} for m in messages
                                 if m.role in ("system", "user", "assistant")], max_tokens=max_tokens)
        except LLMError as exc:
            log.warning("task prompt %s answered locally: %s", task.name, exc)
    return tasks.local_answer(task, prompt, earlier_user_turns)


class _Reply:
    """One completion in OpenAI's shapes, whole or as server-sent events, cut at max_tokens."""

    def __init__(self, body: ChatCompletionRequest, base_url: str, count: TokenCounter, prompt_tokens: int,
                 max_tokens: int | None) -> None:
        self.body = body
        self.base_url = base_url
        self.count = count
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens
        self.id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())

    def _cut(self, content: str) -> tuple[str, str]:
        if self.max_tokens is None:
            return content, "stop"
        cut = cut_to_tokens(content, self.max_tokens, self.count)
        return cut, "stop" if cut == content else "length"

    def send(self, content: str):
        return self.complete(content) if not self.body.stream else self.stream(iter([_Text(content)]))

    def complete(self, content: str, answer: Answer | None = None) -> dict:
        content, finish = self._cut(content)
        result = {
            "id": self.id, "object": "chat.completion", "created": self.created, "model": self.body.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": finish}],
            "usage": _usage(self.prompt_tokens, self.count(content)),
        }
        if answer is not None:
            result["citations"] = [public.citation(c, self.base_url) for c in answer.citations]
            result["helpdesk"] = public.answer(answer, self.base_url)
        return result

    def _chunk(self, delta: dict, finish: str | None = None, **extra) -> str:
        payload = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                   "model": self.body.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                   **extra}
        if self.body.stream_options and self.body.stream_options.include_usage:
            payload.setdefault("usage", None)  # as OpenAI: null on every chunk but the last
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    def stream(self, events, state: AppState | None = None) -> StreamingResponse:
        return StreamingResponse(self._events(events, state), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    def _events(self, events, state: AppState | None) -> Iterator[str]:
        yield self._chunk({"role": "assistant"})
        sent = ""  # what the client has received
        streamed = ""  # what the LLM wrote, before the checked answer
        answer = None
        finish = "stop"

        def pieces(text: str) -> Iterator[str]:
            nonlocal sent, finish
            if finish == "length":
                return
            if self.max_tokens is not None and self.count(sent + text) > self.max_tokens:
                text = cut_to_tokens(sent + text, self.max_tokens, self.count)[len(sent):]
                finish = "length"
            if text:
                sent += text
                yield self._chunk({"content": text})

        for event in events:
            if isinstance(event, _Text):
                for piece in re.findall(r"\S+\s*|\s+", event.text):
                    yield from pieces(piece)
            elif event.delta is not None:
                streamed += event.delta
                yield from pieces(event.delta)
            else:
                answer = event.answer
        extra = {}
        if answer is not None:
            if state is not None:
                state.metrics.count_answer(answer.answerable, answer.composer)
            full = _content(answer, self.base_url)
            if not streamed:  # the extractive composer writes the whole answer at once: send it in word-sized pieces
                rest = full
            elif streamed.strip() != answer.answer.strip():
                # Validation changed the LLM's draft (dropped markers, refusal, fallback): send the checked answer.
                rest = "\n\n---\n" + full
            else:
                rest = full[len(answer.answer):]
            for piece in re.findall(r"\S+\s*|\s+", rest):
                yield from pieces(piece)
            extra = {"citations": [public.citation(c, self.base_url) for c in answer.citations],
                     "helpdesk": public.answer(answer, self.base_url)}
        yield self._chunk({}, finish, **extra)
        if self.body.stream_options and self.body.stream_options.include_usage:
            usage = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                     "model": self.body.model, "choices": [], "usage": _usage(self.prompt_tokens, self.count(sent))}
            yield f"data: {json.dumps(usage, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"


class _Text:
    """A whole reply that did not come from the helpdesk (a task prompt's answer)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _chain(first, rest):
    yield first
    yield from rest
