"""Answer feedback (thumbs up/down, comment) in SQLite under the data dir; exportable as eval JSONL.

Privacy by design: text is redacted before it is written (common/redaction.py, unless HELPDESK_FEEDBACK_REDACT is
false), rows live HELPDESK_FEEDBACK_RETENTION_DAYS and are then purged, and a row can be erased by id. SQLite's
secure_delete overwrites deleted rows in the file, so an erased question cannot be read back from free pages.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from common.redaction import redact, redact_json
from common.settings import FeedbackSettings, Settings

FEEDBACK_FILE = "feedback.sqlite"
DAY_S = 86400.0


class FeedbackStore:
    def __init__(self, path: Path, settings: FeedbackSettings | None = None) -> None:
        self.settings = settings or FeedbackSettings()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, created REAL, rating TEXT, comment TEXT,"
                " question TEXT, language TEXT, answer TEXT, answerable INTEGER, citations TEXT)"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS feedback_created ON feedback (created)")

    @classmethod
    def open(cls, settings: Settings) -> "FeedbackStore":
        return cls(settings.data_dir / FEEDBACK_FILE, settings.feedback)

    def _clean(self, text: str | None) -> str | None:
        return redact(text) if self.settings.redact else text

    def add(self, rating: str, question: str, answer: str, language: str | None, answerable: bool | None,
            citations: list[dict[str, Any]], comment: str | None) -> int:
        if self.settings.redact:
            citations = redact_json(citations)
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO feedback (created, rating, comment, question, language, answer, answerable, citations)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), rating, self._clean(comment), self._clean(question), language, self._clean(answer),
                 None if answerable is None else int(answerable), json.dumps(citations, ensure_ascii=False)),
            )
            return int(cursor.lastrowid)

    def _cutoff(self) -> float | None:
        """Rows written before this moment are past the retention; None when rows are kept without limit."""
        days = self.settings.retention_days
        return time.time() - days * DAY_S if days else None

    def rows(self) -> list[dict[str, Any]]:
        """The rows still kept (none past the retention), redacted again when redaction is on: rows written while it
        was off, or before it existed, leave the store only redacted."""
        cutoff = self._cutoff()
        with self._lock:
            cursor = self._db.execute("SELECT * FROM feedback WHERE created >= ? ORDER BY id",
                                      (cutoff if cutoff is not None else float("-inf"),))
            names = [c[0] for c in cursor.description]
            rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        if self.settings.redact:
            for row in rows:
                for key in ("question", "answer", "comment"):
                    row[key] = redact(row[key])
                row["citations"] = json.dumps(redact_json(json.loads(row["citations"] or "[]")), ensure_ascii=False)
        return rows

    def purge_expired(self) -> int:
        """Delete the rows past HELPDESK_FEEDBACK_RETENTION_DAYS; how many went."""
        cutoff = self._cutoff()
        return 0 if cutoff is None else self._delete("created < ?", (cutoff,))

    def purge_older_than(self, days: float) -> int:
        return self._delete("created < ?", (time.time() - days * DAY_S,))

    def delete(self, feedback_id: int) -> bool:
        """Erase one row; False when there is no such row."""
        return self._delete("id = ?", (feedback_id,)) > 0

    def _delete(self, where: str, params: tuple) -> int:
        with self._lock, self._db:
            return self._db.execute(f"DELETE FROM feedback WHERE {where}", params).rowcount

    def close(self) -> None:
        with self._lock:  # a purge in its thread finishes first
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
