"""The composer interface: numbered passages in, a cited answer (or a refusal) out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from common.schema import Citation, SearchHit


@dataclass
class ComposeRequest:
    question: str  # standalone (condensed) question the passages were retrieved for
    language: str  # the asker's language: every word we write is in it
    hits: list[SearchHit]
    query_vector: list[float] | None = None
    latest_turn: str | None = None  # the follow-up as typed, when it differs from `question`
    question_language: str | None = None  # the language the question is written in, when not `language`

    @property
    def asked_in(self) -> str:
        return self.question_language or self.language


@dataclass
class Composition:
    text: str
    answerable: bool
    citations: list[Citation] = field(default_factory=list)
    diagnostics: dict[str, Any] = field(default_factory=dict)


class Composer(Protocol):
    name: str

    def compose(self, request: ComposeRequest) -> Composition: ...
