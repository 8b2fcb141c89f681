"""What an attacker tries against the API: originals that run script, server paths in answers and errors, odd
error bodies. Every response in this suite also passes the path scan of the `api` fixture (conftest.py)."""

from __future__ import annotations

import pytest

from tests.service.conftest import ADMIN, PathLeak, path_scanner

SCRIPTED_HTML = (b"<html><head><title>Regional childcare grant</title></head><body><h1>Regional childcare grant</h1>"
                 b"<p>The regional childcare grant pays 318 euro per child per month to ESF+ participants.</p>"
                 b"<script>fetch('/v1/documents').then(r => r.text()).then(t => document.title = t)</script>"
                 b"</body></html>")


def _upload(api, name: str, data: bytes) -> dict:
    response = api.post("/v1/documents", files={"file": (name, data)}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()["document"]


def test_html_original_is_a_sandboxed_download_never_a_page(api):
    document = _upload(api, "childcare-grant.html", SCRIPTED_HTML)
    try:
        original = api.get(f"/v1/documents/{document['doc_id']}/file")
        assert original.status_code == 200 and original.content == SCRIPTED_HTML
        assert original.headers["content-type"] == "application/octet-stream"
        assert original.headers["content-disposition"].startswith("attachment")
        assert original.headers["x-content-type-options"] == "nosniff"
        policy = original.headers["content-security-policy"]
        assert "sandbox" in policy and "default-src 'none'" in policy
    finally:
        api.delete(f"/v1/documents/{document['doc_id']}", headers=ADMIN)


@pytest.mark.parametrize("name, shown_as", [("notes.md", "text/plain; charset=utf-8"),
                                            ("notes.txt", "text/plain; charset=utf-8")])
def test_text_originals_are_shown_as_text_in_a_sandbox(api, name, shown_as):
    text = "# Notes\n\nThe notes say the bicycle grant is 91 euro. <script>alert(1)</script>\n"
    document = _upload(api, name, text.encode())
    try:
        original = api.get(f"/v1/documents/{document['doc_id']}/file")
        assert original.headers["content-type"] == shown_as and original.text == text
        assert original.headers["content-disposition"].startswith("inline")
        assert "sandbox" in original.headers["content-security-policy"]
        assert original.headers["x-content-type-options"] == "nosniff"
    finally:
        api.delete(f"/v1/documents/{document['doc_id']}", headers=ADMIN)


@pytest.mark.parametrize("suffix", [".html", ".HTM", ".htm", ".xhtml", ".docx", ".svg", ".js", ""])
def test_every_active_or_unknown_type_is_a_sandboxed_download(suffix):
    from service.api.security import original_presentation

    media_type, disposition, policy = original_presentation(suffix)
    assert (media_type, disposition) == ("application/octet-stream", "attachment")
    assert "sandbox" in policy and "default-src 'none'" in policy


def test_pdf_original_is_inline_with_nothing_else_allowed(api):
    pdf = next(d for d in api.get("/v1/documents").json()["documents"] if d["name"].endswith(".pdf"))
    original = api.get(f"/v1/documents/{pdf['doc_id']}/file")
    assert original.headers["content-type"] == "application/pdf"
    assert original.headers["content-disposition"].startswith("inline")
    assert original.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in original.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/", "/healthz", "/v1/documents", "/openapi.json", "/v1/nothing-here"])
def test_every_route_has_security_headers(api, path):
    response = api.get(path)
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    if path != "/":
        assert "script-src" not in policy  # nothing of the API is a page that runs script


def test_citations_hits_and_documents_carry_a_link_and_a_name_not_a_path(api):
    answer = api.post("/v1/ask", json={"question": "What is the co-financing rate for less developed regions?"}).json()
    results = api.post("/v1/search", json={"query": "flat rate for indirect costs", "k": 3}).json()["results"]
    documents = api.get("/v1/documents").json()["documents"]
    for item in [*answer["citations"], *results, *documents]:
        assert "source" not in item and item["name"] and "/" not in item["name"]
        assert item["file_url"].startswith(str(api.base_url)) and f"/v1/documents/{item['doc_id']}/file" in item["file_url"]


@pytest.mark.parametrize("method, path, kwargs, status", [
    ("get", "/v1/documents/no-such-doc/file", {}, 404),
    ("delete", "/v1/documents/no-such-doc", {"headers": ADMIN}, 404),
    ("post", "/v1/ask", {"content": b"{not json"}, 422),
    ("post", "/v1/ask", {"json": {"question": ["a", "list"]}}, 422),
    ("post", "/v1/documents", {"files": {"file": ("fake.pdf", b"plain text, not a PDF")}, "headers": ADMIN}, 422),
    ("post", "/v1/documents", {"files": {"file": ("x.exe", b"MZ")}, "headers": ADMIN}, 415),
    ("post", "/v1/documents", {"files": {"file": ("note.md", b"# x")}}, 401),
    ("post", "/v1/chat/completions", {"json": {"model": "nope", "messages": [{"role": "user", "content": "hi"}]}}, 404),
    ("post", "/v1/chat/completions", {"json": {"messages": [{"role": "assistant", "content": "hi"}]}}, 422),
])
def test_every_error_is_a_code_and_one_plain_sentence(api, method, path, kwargs, status):
    response = getattr(api, method)(path, **kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) <= {"code", "message", "fields"} and isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"] and "\n" not in error["message"]
    for field in error.get("fields", []):
        assert isinstance(field["field"], str) and isinstance(field["message"], str)


def test_a_failing_components_message_reaches_the_client_as_one_line_without_paths():
    """What the 503/507 handlers send: the data dir by name, any other absolute path as <path>, URLs kept."""
    from service.api.public import plain_message

    text = ("[Errno 30] Read-only file system: '/srv/helpdesk/data/qdrant/segments/0'\n"
            "  while writing /opt/engine/lib/wal.log; store at http://qdrant:6333/collections/helpdesk")
    line = plain_message(text, {"/srv/helpdesk/data": "the data dir"})
    assert "\n" not in line
    assert "/srv/" not in line and "the data dir/qdrant" in line
    assert "/opt/" not in line and "writing <path>;" in line
    assert "http://qdrant:6333/collections/helpdesk" in line
    assert len(plain_message("x " * 400)) <= 300


def test_the_path_scan_catches_a_leak_and_has_seen_the_suite(api):
    """The scan that every response passes is itself checked: it fails a response that shows a path."""
    import httpx

    leak = httpx.Response(200, json={"source": f"{api.data_dir}/uploads/x.md"},
                          request=httpx.Request("GET", "http://test/v1/x"))
    with pytest.raises(PathLeak):
        path_scanner([str(api.data_dir)])(leak)
    assert len(api.scanned) > 10
