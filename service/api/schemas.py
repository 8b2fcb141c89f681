"""Request bodies of the API (responses reuse common.schema.Answer and SearchHit)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Turn(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str


class AskRequest(BaseModel):
    # Lengths and turns are checked against the input budget (HELPDESK_INPUT_*) by the routes: 413 past it.
    question: str = Field(min_length=1)
    language: str | None = Field(None, min_length=2, max_length=3, description="answer language; default detected")
    language_hint: str | None = Field(None, min_length=2, max_length=3, description="the UI's language, for 1-2 word questions")
    filters: dict[str, str | list[str]] | None = None
    composer: Literal["auto", "extractive", "llm"] | None = None
    history: list[Turn] = Field(default_factory=list)
    k: int | None = Field(None, ge=1, le=50)
    mode: Literal["dense", "sparse", "hybrid"] | None = None


class SearchRequest(BaseModel):
    query: str = Field(min_length=1)
    k: int = Field(5, ge=1, le=50)
    language: str | None = Field(None, min_length=2, max_length=3)
    filters: dict[str, str | list[str]] | None = None
    mode: Literal["dense", "sparse", "hybrid"] | None = None


class DraftRequest(BaseModel):
    inquiry: str = Field(min_length=1)
    sender_name: str | None = Field(None, max_length=200)
    language: str | None = Field(None, min_length=2, max_length=3)
    filters: dict[str, str | list[str]] | None = None


class FeedbackRequest(BaseModel):
    rating: Literal["up", "down"]
    # Lengths and turns are checked against the input budget (HELPDESK_INPUT_*) by the routes: 413 past it.
    question: str = Field(min_length=1)
    answer: str = Field(max_length=20000)
    language: str | None = Field(None, max_length=3)
    answerable: bool | None = None
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    comment: str | None = Field(None, max_length=4000)


class ChatMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The OpenAI chat-completions body. Sampling options (temperature, top_p, ...) are accepted and ignored:
    answers are grounded, not sampled. `max_tokens` cuts the content (finish_reason "length"); `n` must be 1."""

    model: str = "funding-helpdesk"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    n: int = Field(1, ge=1, le=1, description="one answer per question; more choices are refused")
    filters: dict[str, str | list[str]] | None = None
    language: str | None = Field(None, min_length=2, max_length=3)

    model_config = {"extra": "allow"}
