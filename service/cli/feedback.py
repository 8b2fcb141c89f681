"""`helpdesk feedback export|purge`: the answer feedback the service collected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from service.cli.common import settings_or_fail
from service.console import console, fail

feedback_app = typer.Typer(help="Answer feedback collected by the service.", no_args_is_help=True)


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL file to write (the evals dataset format).")] = Path("feedback.jsonl"),
) -> None:
    """Write the kept answer feedback (past-retention rows are purged first; redacted) as eval questions."""
    from service.feedback import FeedbackStore, to_eval_questions

    store = FeedbackStore.open(settings_or_fail())
    try:
        store.purge_expired()
        questions = to_eval_questions(store.rows())
    finally:
        store.close()
    out.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    console.print(f"wrote {len(questions)} questions to {out}")


@feedback_app.command("purge")
def feedback_purge(
    older_than_days: Annotated[Optional[float], typer.Option("--older-than-days", min=0, help="Delete rows older than this (default: HELPDESK_FEEDBACK_RETENTION_DAYS).")] = None,
    ids: Annotated[Optional[list[int]], typer.Option("--id", help="Delete this row (the id POST /v1/feedback returned); repeatable.")] = None,
) -> None:
    """Erase feedback: rows past the retention (the default), rows older than N days, or given rows."""
    from service.feedback import FeedbackStore

    settings = settings_or_fail()
    store = FeedbackStore.open(settings)
    try:
        if ids:
            missing = [i for i in ids if not store.delete(i)]
            deleted = len(ids) - len(missing)
        elif older_than_days is not None:
            missing, deleted = [], store.purge_older_than(older_than_days)
        else:
            missing, deleted = [], store.purge_expired()
    finally:
        store.close()
    console.print(f"deleted {deleted} feedback rows")
    if missing:
        fail(f"no feedback with id {', '.join(map(str, missing))}", code=1)
