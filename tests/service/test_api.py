"""The real app over real HTTP: uvicorn serving create_app() on a loopback port, over the embedded store
(the `api` fixture in conftest.py, which also checks that no response shows a server path)."""

from __future__ import annotations

import json

import pytest

from qa.templates import phrase
from tests.service.conftest import ADMIN

BG_QUESTION = "Какъв е максималният процент на съфинансиране за по-слабо развитите региони?"


def test_health_and_readiness(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["chunks"] > 100


def test_ask_has_the_cli_shape_and_answers_in_bulgarian(api):
    body = api.post("/v1/ask", json={"question": BG_QUESTION}).json()
    assert {"question", "language", "answer", "answerable", "composer", "citations", "timings_ms"} <= set(body)
    assert body["language"] == "bg" and body["answerable"] and "85 %" in body["answer"]
    assert body["citations"][0]["n"] == 1 and body["citations"][0]["doc_id"]


def test_search_shape(api):
    body = api.post("/v1/search", json={"query": "flat rate for indirect costs", "k": 3}).json()
    assert body["query"] == "flat rate for indirect costs" and len(body["results"]) == 3
    assert {"doc_id", "title", "page_start", "section", "language", "score", "text"} <= set(body["results"][0])


@pytest.mark.parametrize("path, payload, field", [
    ("/v1/ask", {"question": ""}, "question"),
    ("/v1/ask", {"question": "What is ESF+?", "k": 0}, "k"),
    ("/v1/ask", {"question": "What is ESF+?", "filters": {"colour": "red"}}, "filters"),
    ("/v1/ask", {"question": "What is ESF+?", "composer": "llm"}, "composer"),
    ("/v1/search", {"k": 3}, "query"),
    ("/v1/chat/completions", {"messages": []}, "messages"),
])
def test_bad_input_is_422_naming_the_field(api, path, payload, field):
    response = api.post(path, json=payload)
    assert response.status_code == 422
    assert field in [f["field"] for f in response.json()["error"]["fields"]]


def test_openai_chat_completion_carries_citations(api):
    body = api.post("/v1/chat/completions", json={"model": "funding-helpdesk", "messages": [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "What is the co-financing rate for less developed regions?"}]}).json()
    content = body["choices"][0]["message"]["content"]
    assert body["object"] == "chat.completion" and "85 %" in content and "[1]" in content
    assert body["citations"][0]["n"] == 1 and "\n[1] " in content  # numbered source list in the content too
    assert api.get("/v1/models").json()["data"][0]["id"] == "funding-helpdesk"


def test_openai_streaming_follow_up(api):
    messages = [{"role": "user", "content": "What is the co-financing rate for less developed regions?"},
                {"role": "assistant", "content": "85 % [1]"},
                {"role": "user", "content": "And for transition regions?"}]
    with api.stream("POST", "/v1/chat/completions", json={"messages": messages, "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "60 %" in text and "[1]" in text
    final = chunks[-1]
    assert final["choices"][0]["finish_reason"] == "stop" and final["citations"]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)


def test_draft_reply_in_the_inquirys_language(api):
    body = api.post("/v1/draft", json={
        "inquiry": "Здравейте, какъв е максималният процент на съфинансиране за по-слабо развитите региони? "
                   "А докога трябва да бъдат платени разходите?\nС уважение,\nМария Петрова",
        "sender_name": "Петър Георгиев\nРегионален информационен център"}).json()
    draft = body["draft"]
    # the inquirer is greeted, the staff member signs under the closing
    assert body["language"] == "bg" and draft.startswith(phrase("greeting_named", "bg", name="Мария Петрова"))
    assert "Петър" not in draft.split("\n")[0]
    assert draft.endswith(phrase("closing", "bg") + "\nПетър Георгиев\nРегионален информационен център")
    assert [q["question"] for q in body["questions"]] == [
        "Какъв е максималният процент на съфинансиране за по-слабо развитите региони?",
        "А докога трябва да бъдат платени разходите?"]
    assert "\n1. Какъв е максималният" in draft and "\n2. А докога" in draft
    assert draft.count(phrase("references", "bg")) == 1 and "\n[1] " in draft and "85 %" in draft
    numbers = [c["n"] for c in body["citations"]]
    assert numbers == list(range(1, len(numbers) + 1)) and all(f"[{n}]" in draft for n in numbers)
    assert body["subject"].startswith("Re: Какъв е максималният процент")


def test_a_language_we_do_not_serve_gets_a_notice_unless_a_served_one_is_chosen(api):
    question = "低開発地域に対するESF+の共同融資率の上限は何パーセントですか？"
    body = api.post("/v1/ask", json={"question": question}).json()
    assert body["answerable"] is False and body["diagnostics"]["unserved_language"] == "ja"
    assert body["answer"].startswith("Japanese is not one of the languages") and "Bulgarian" in body["answer"]
    chosen = api.post("/v1/ask", json={"question": question, "language": "en"}).json()
    assert chosen["language"] == "en" and "unserved_language" not in chosen.get("diagnostics", {})


def test_filters_that_match_nothing_are_named(api):
    body = api.post("/v1/ask", json={"question": "What is the co-financing rate for less developed regions?",
                                     "filters": {"country": "EE", "doc_type": "regulation"}}).json()
    blockers = body["diagnostics"]["filters_match_nothing"]
    assert body["answerable"] is False and blockers["doc_type"] > 0 and blockers["country"] == 0


def test_admin_routes_refuse_without_a_valid_key(api):
    files = {"file": ("note.md", b"# Note\n\nSome text about funding.")}
    assert api.post("/v1/documents", files=files).status_code == 401
    assert api.post("/v1/documents", files=files, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert api.delete("/v1/documents/anything").status_code == 401
    assert api.delete("/v1/documents/anything", headers={"Authorization": "Basic admin-secret"}).status_code == 401


@pytest.mark.parametrize("name, data, status", [
    ("malware.exe", b"MZ\x90\x00", 415),
    ("empty.md", b"", 422),
    ("fake.pdf", b"this is plain text, not a PDF at all", 422),
    ("big.md", b"a" * 60_000, 413),
    ("..", b"# x", 422),
])
def test_bad_uploads_are_refused_with_the_right_status(api, name, data, status):
    response = api.post("/v1/documents", files={"file": (name, data)}, headers=ADMIN)
    assert response.status_code == status, response.text
    kept = [p.name for p in (api.data_dir / "uploads").glob("*")] if (api.data_dir / "uploads").exists() else []
    assert not any(name.startswith(("malware", "empty", "fake", "big")) for name in kept)


def test_upload_is_searchable_then_served_then_deleted(api):
    text = ("---\ntitle: Kinderopvangregeling Zuidstad 2026\nlanguage: nl\nfund: [ESF+]\n---\n\n"
            "# Kinderopvangregeling\n\nDe gemeente Zuidstad vergoedt kinderopvang voor deelnemers aan ESF+-trajecten "
            "tot maximaal 412 euro per maand per kind.\n")
    uploaded = api.post("/v1/documents", files={"file": ("../../etc/zuidstad.md", text.encode())}, headers=ADMIN)
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()["document"]
    assert uploaded.json()["status"] == "new" and document["title"] == "Kinderopvangregeling Zuidstad 2026"
    assert (api.data_dir / "uploads" / "zuidstad.md").is_file()  # the path part of the name is dropped
    listed = {d["doc_id"] for d in api.get("/v1/documents").json()["documents"]}
    assert document["doc_id"] in listed
    answer = api.post("/v1/ask", json={"question": "Hoeveel vergoedt Zuidstad per maand voor kinderopvang?"}).json()
    assert "412 euro" in answer["answer"] and answer["citations"][0]["doc_id"] == document["doc_id"]
    original = api.get(f"/v1/documents/{document['doc_id']}/file")
    assert original.status_code == 200 and original.content == text.encode()
    assert api.delete(f"/v1/documents/{document['doc_id']}", headers={"Authorization": "Bearer other-key"}).status_code == 200
    assert api.delete(f"/v1/documents/{document['doc_id']}", headers=ADMIN).status_code == 404
    assert api.get(f"/v1/documents/{document['doc_id']}/file").status_code == 404
    assert not (api.data_dir / "uploads" / "zuidstad.md").exists()


def test_feedback_is_stored_and_exported_as_eval_questions(api):
    answer = api.post("/v1/ask", json={"question": BG_QUESTION}).json()
    created = api.post("/v1/feedback", json={"rating": "up", "question": answer["question"], "answer": answer["answer"],
                                            "language": "bg", "answerable": True, "citations": answer["citations"]})
    assert created.status_code == 201
    assert api.post("/v1/feedback", json={"rating": "meh", "question": "q", "answer": "a"}).status_code == 422
    from service.feedback import FeedbackStore, to_eval_questions

    store = FeedbackStore(api.data_dir / "feedback.sqlite")
    exported = to_eval_questions(store.rows())
    store.close()
    assert exported[-1]["question"] == BG_QUESTION and exported[-1]["answerable"]
    assert exported[-1]["evidence"] and "feedback" in exported[-1]["tags"]


def test_feedback_is_stored_redacted_and_erased_by_id_with_an_admin_key(api):
    created = api.post("/v1/feedback", json={"rating": "down", "question": "Who pays? Write to ana.ionescu@primaria.ro",
                                            "answer": "No answer.", "comment": "tel. 0721 123 456"})
    feedback_id = created.json()["id"]
    from service.feedback import FeedbackStore

    store = FeedbackStore(api.data_dir / "feedback.sqlite")
    try:
        row = next(r for r in store.rows() if r["id"] == feedback_id)
        assert row["question"] == "Who pays? Write to [email]" and row["comment"] == "tel. [phone]"
        assert api.delete(f"/v1/feedback/{feedback_id}").status_code == 401
        assert api.delete(f"/v1/feedback/{feedback_id}", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert any(r["id"] == feedback_id for r in store.rows())
        assert api.delete(f"/v1/feedback/{feedback_id}", headers=ADMIN).json() == {"deleted": feedback_id}
        assert not any(r["id"] == feedback_id for r in store.rows())
    finally:
        store.close()
    again = api.delete(f"/v1/feedback/{feedback_id}", headers=ADMIN)
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"
    assert api.delete("/v1/feedback/latest", headers=ADMIN).status_code == 422


def test_metrics_count_routes_and_outcomes(api):
    api.post("/v1/ask", json={"question": "Quelle est la capitale de la France ?"})
    text = api.get("/metrics").text
    assert 'helpdesk_requests_total{method="POST",route="/v1/ask",status="200"}' in text
    assert 'helpdesk_answers_total{composer="extractive",outcome="refused"}' in text
    assert "helpdesk_request_seconds_bucket" in text


def test_ui_is_served_at_the_root(api):
    page = api.get("/")
    assert page.status_code == 200 and "gradio" in page.text.lower()


# Property test over the API's own OpenAPI schema: whatever JSON arrives, the answer is never a 500.
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.fuzzing import fuzz_settings  # noqa: E402

SCALARS = (st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=40))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) |
                    st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=8)


_FIELDS: dict[str, list[str]] = {}  # per route, read once from the served schema (not once per example)


def _bodies(api, path: str):
    if path not in _FIELDS:
        schema = api.get("/openapi.json").json()
        ref = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        _FIELDS[path] = list(schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"])
    fields = _FIELDS[path]
    return st.one_of(JSON, st.dictionaries(st.sampled_from(fields), JSON | st.text(min_size=1, max_size=60),
                                           max_size=len(fields)),
                     st.binary(max_size=200))  # bytes: sent as they are, mostly not JSON at all


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/search", "/v1/draft", "/v1/feedback", "/v1/chat/completions"])
@fuzz_settings(ci_examples=15)
@given(data=st.data())
def test_no_input_makes_a_500(api, path, data):
    body = data.draw(_bodies(api, path), label="body")
    if isinstance(body, bytes):
        response = api.post(path, content=body, headers={"content-type": "application/json"})
    else:
        response = api.post(path, json=body)
    assert response.status_code < 500, (body, response.text)
    assert response.headers["content-type"].startswith(("application/json", "text/event-stream"))
