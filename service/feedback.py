"""Answer feedback (thumbs up/down, comment) in SQLite under the data dir; exportable as eval JSONL."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, created REAL, rating TEXT, comment TEXT,"
                " question TEXT, language TEXT, answer TEXT, answerable INTEGER, citations TEXT)"
            )

    def add(self, rating: str, question: str, answer: str, language: str | None, answerable: bool | None,
            citations: list[dict[str, Any]], comment: str | None) -> int:
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO feedback (created, rating, comment, question, language, answer, answerable, citations)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), rating, comment, question, language, answer,
                 None if answerable is None else int(answerable), json.dumps(citations, ensure_ascii=False)),
            )
            return int(cursor.lastrowid)

    def rows(self) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._db.execute("SELECT * FROM feedback ORDER BY id")
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def close(self) -> None:
        self._db.close()


def to_eval_questions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Feedback as dataset lines (the evals format) for evaluators to curate.

    A thumbs-up answer gives draft gold: its cited passages' opening words as evidence. A thumbs-down one keeps the
    question with empty gold and a `needs-gold` tag; an approved refusal becomes an unanswerable question.
    """
    questions = []
    for row in rows:
        citations = json.loads(row["citations"] or "[]")
        approved = row["rating"] == "up"
        answerable = bool(row["answerable"]) if approved and row["answerable"] is not None else True
        evidence = [" ".join(c.get("text", "").split()[:12]) for c in citations] if approved and answerable else []
        tags = ["feedback", f"rating-{row['rating']}"] + ([] if approved else ["needs-gold"])
        if approved and not answerable:
            tags.append("unanswerable")
        questions.append({
            "id": f"fb-{row['id']:05d}", "question": row["question"], "language": row["language"] or "en",
            "answerable": answerable, "evidence": [e for e in evidence if e], "facts": [], "tags": tags,
        })
    return questions
