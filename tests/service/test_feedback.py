"""The feedback store keeps as little as it can, for as long as it is told: redaction before the write, retention
at start and while serving, erasure by id or age from the CLI, exports of what is kept only. The SQLite file's own
bytes are read, so a test fails if personal data is anywhere in it, free pages included."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
from pydantic import ValidationError

from common.settings import FeedbackSettings, Settings, StoreSettings
from service.feedback import DAY_S, FEEDBACK_FILE, FeedbackStore
from tests.service.test_api_faults import closed_port, serving

HELPDESK = [sys.executable, "-m", "service"]
PERSONAL = {
    "email": "maria.petrova@plovdiv.bg",
    "phone": "+359 32 656 789",
    "iban": "BG80 BNBG 9661 1020 3456 78",
    "egn": "7552010005",
    "name": "Мария Петрова",
}
QUESTION = (f"Какъв е процентът на съфинансиране по член 112? Пишете на {PERSONAL['email']} или {PERSONAL['phone']}."
            f"\n\nС уважение,\n{PERSONAL['name']}\nОбщина Пловдив")
ANSWER = "Up to 85 % [1]."
COMMENT = f"Refund to {PERSONAL['iban']}, EGN {PERSONAL['egn']}"
CITATIONS = [{"n": 1, "doc_id": "cpr", "text": f"Contact {PERSONAL['email']} for Article 112 co-financing rates."}]


def _add(store: FeedbackStore, question: str = QUESTION, comment: str | None = COMMENT) -> int:
    return store.add("down", question, ANSWER, "bg", True, CITATIONS, comment)


def _age(path, feedback_id: int, days: float) -> None:
    """Backdate a row, as if it had been written `days` ago."""
    with sqlite3.connect(path) as db:
        db.execute("UPDATE feedback SET created = ? WHERE id = ?", (time.time() - days * DAY_S, feedback_id))


def _ids(path) -> list[int]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT id FROM feedback ORDER BY id")]


def test_personal_data_never_reaches_the_file(tmp_path):
    store = FeedbackStore(tmp_path / FEEDBACK_FILE)
    _add(store)
    row = store.rows()[0]
    store.close()
    raw = (tmp_path / FEEDBACK_FILE).read_bytes()
    for value in PERSONAL.values():
        assert value.encode() not in raw, value
    assert row["question"].startswith("Какъв е процентът на съфинансиране по член 112? Пишете на [email] или [phone].")
    assert row["question"].endswith("[signature]") and row["answer"] == ANSWER
    assert row["comment"] == "Refund to [iban], EGN [national-id]"
    assert json.loads(row["citations"])[0]["text"] == "Contact [email] for Article 112 co-financing rates."


def test_redaction_can_be_turned_off(tmp_path):
    store = FeedbackStore(tmp_path / FEEDBACK_FILE, FeedbackSettings(redact=False))
    _add(store)
    assert store.rows()[0]["question"] == QUESTION and store.rows()[0]["comment"] == COMMENT
    store.close()


def test_rows_past_the_retention_are_not_returned_and_are_purged_for_good(tmp_path):
    path = tmp_path / FEEDBACK_FILE
    store = FeedbackStore(path, FeedbackSettings(redact=False, retention_days=180))
    old = _add(store, "Old question about the Zuidstad childcare scheme?", None)
    recent = _add(store, "Recent question?", None)
    _age(path, old, 181)
    _age(path, recent, 179)
    assert [r["id"] for r in store.rows()] == [recent]  # expired rows are not handed out even before the purge
    assert store.purge_expired() == 1 and _ids(path) == [recent]
    store.close()
    assert b"Zuidstad childcare" not in path.read_bytes()  # secure_delete: not left in a free page


def test_without_secure_delete_an_erased_row_could_be_read_back(tmp_path):
    """Why the store turns secure_delete on (some SQLite builds have it off): the byte check above then fails."""
    with sqlite3.connect(tmp_path / "plain.sqlite") as db:
        db.execute("PRAGMA secure_delete = OFF")
        db.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY, question TEXT)")
        db.executemany("INSERT INTO feedback (question) VALUES (?)", [("About the Zuidstad childcare scheme?",), ("q",)])
    with sqlite3.connect(tmp_path / "plain.sqlite") as db:
        db.execute("PRAGMA secure_delete = OFF")
        db.execute("DELETE FROM feedback WHERE id = 1")
    assert b"Zuidstad childcare" in (tmp_path / "plain.sqlite").read_bytes()


def test_retention_zero_keeps_rows_until_erased_by_hand(tmp_path):
    path = tmp_path / FEEDBACK_FILE
    store = FeedbackStore(path, FeedbackSettings(retention_days=0))
    first, second = _add(store), _add(store)
    _age(path, first, 3650)
    assert store.purge_expired() == 0 and len(store.rows()) == 2
    assert store.delete(first) and not store.delete(first) and _ids(path) == [second]
    assert store.purge_older_than(0) == 1 and _ids(path) == []
    store.close()


def _helpdesk(args: list[str], data_dir, **env) -> subprocess.CompletedProcess:
    return subprocess.run(HELPDESK + args, env={**os.environ, "HELPDESK_DATA_DIR": str(data_dir), **env},
                          capture_output=True, text=True, timeout=120)


def test_cli_purge_by_age_and_id_and_export_of_what_is_kept(tmp_path):
    data_dir = tmp_path / "data"
    path = data_dir / FEEDBACK_FILE
    store = FeedbackStore(path, FeedbackSettings(redact=False))  # rows written raw, as before redaction existed
    expired, month_old, week_old, fresh = (_add(store, f"Question {i} about rates?") for i in range(4))
    store.close()
    _age(path, expired, 200)
    _age(path, month_old, 30)
    _age(path, week_old, 7)

    out = tmp_path / "feedback.jsonl"
    result = _helpdesk(["feedback", "export", "--out", str(out)], data_dir)
    assert result.returncode == 0, result.stderr
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [q["id"] for q in exported] == [f"fb-{i:05d}" for i in (month_old, week_old, fresh)]
    assert _ids(path) == [month_old, week_old, fresh]  # the expired row was purged, not only skipped
    assert all(PERSONAL["email"] not in line for line in out.read_text(encoding="utf-8").splitlines())

    result = _helpdesk(["feedback", "purge", "--older-than-days", "14"], data_dir)
    assert result.returncode == 0 and "deleted 1 feedback rows" in result.stderr
    result = _helpdesk(["feedback", "purge", "--id", str(fresh), "--id", "999"], data_dir)
    assert result.returncode == 1 and "no feedback with id 999" in result.stderr
    assert _ids(path) == [week_old]
    result = _helpdesk(["feedback", "purge"], data_dir, HELPDESK_FEEDBACK_RETENTION_DAYS="5")
    assert result.returncode == 0 and _ids(path) == []


def _no_store(tmp_path, **feedback) -> Settings:
    """Settings whose store is unreachable: the service starts anyway and feedback needs no index."""
    return Settings(data_dir=tmp_path, store=StoreSettings(url=f"http://127.0.0.1:{closed_port()}", timeout_s=1),
                    feedback=FeedbackSettings(**feedback))


def test_expired_feedback_is_purged_when_the_service_starts(tmp_path):
    settings = _no_store(tmp_path, retention_days=180, purge_interval_s=3600)
    store = FeedbackStore.open(settings)
    expired, kept = _add(store), _add(store)
    store.close()
    _age(settings.data_dir / FEEDBACK_FILE, expired, 181)
    with serving(settings):
        assert _ids(settings.data_dir / FEEDBACK_FILE) == [kept]


def test_feedback_expires_while_serving(tmp_path):
    settings = _no_store(tmp_path, retention_days=2 / 86400, purge_interval_s=0.2)  # two seconds
    with serving(settings) as url:
        created = httpx.post(f"{url}/v1/feedback", json={"rating": "up", "question": "q?", "answer": "a"})
        assert created.status_code == 201
        deadline = time.monotonic() + 30
        while _ids(settings.data_dir / FEEDBACK_FILE) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _ids(settings.data_dir / FEEDBACK_FILE) == []


@pytest.mark.parametrize("value", ["-1", "soon"])
def test_a_bad_retention_is_a_named_error(monkeypatch, value):
    monkeypatch.setenv("HELPDESK_FEEDBACK_RETENTION_DAYS", value)
    with pytest.raises(ValidationError, match="retention_days"):
        Settings()
