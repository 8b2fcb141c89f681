"""Evaluation questions: the JSONL format (one question a line), loaded and validated with line numbers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# A fact is one string, or alternatives of which any one counts ("100 000", "100000").
Fact = Union[str, list[str]]
T = TypeVar("T")


class DatasetError(ValueError):
    """A dataset line that is not JSON or not a valid question."""


class EvalQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)  # "yes" is no bool

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    language: str = Field(min_length=2)
    answerable: bool
    evidence: list[str] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    @field_validator("facts")
    @classmethod
    def _no_empty_alternatives(cls, facts: list[Fact]) -> list[Fact]:
        if any(isinstance(fact, list) and not fact for fact in facts):
            raise ValueError("a fact given as alternatives needs at least one")
        return facts


def load_dataset(path: Path) -> list[EvalQuestion]:
    questions: list[EvalQuestion] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            question = EvalQuestion.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise DatasetError(f"{path}:{number}: {exc}") from exc
        if question.id in seen:
            raise DatasetError(f"{path}:{number}: duplicate id {question.id!r}")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise DatasetError(f"{path}: no questions")
    return questions


def write_dataset(path: Path, questions: list[EvalQuestion]) -> None:
    lines = (json.dumps(q.model_dump(), ensure_ascii=False) for q in questions)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def spread(items: list[T], limit: int | None) -> list[T]:
    """`limit` items evenly spaced over the list (a subset that still covers all of it), or all of them."""
    if not limit or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(n * step)] for n in range(limit)]


def fold_of(question_id: str, folds: int) -> int:
    """A question's fold, from a hash of its id: the same whatever else is in the set, so adding questions moves
    none of the others between folds."""
    return int(hashlib.sha256(question_id.encode("utf-8")).hexdigest()[:8], 16) % folds


# The refusal threshold is fitted on FIT_FOLD of two; HELD_OUT_FOLD is what reports and CI floors are measured on.
FIT_FOLD, HELD_OUT_FOLD = 0, 1


def held_out(questions: list[T], fold: int = HELD_OUT_FOLD, folds: int = 2) -> list[T]:
    """The questions of one fold (by default the one no threshold was fitted on)."""
    return [q for q in questions if fold_of(q.id, folds) == fold]
