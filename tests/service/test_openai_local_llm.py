"""The OpenAI-compatible endpoint end to end over a real llama.cpp server (small GGUF model, structured answers)."""

from __future__ import annotations

import re

import openai
import pytest

from common.settings import AnswerSettings, LLMSettings, ServiceSettings
from tests.service.test_api_faults import serving

QUESTION = "What is the maximum EU co-financing rate for less developed regions?"
MARKER = re.compile(r"\[(\d+)\]")


@pytest.mark.llm
def test_the_openai_endpoint_end_to_end_over_a_real_llama_server(sample_index, llama_server):
    base, _ = sample_index
    settings = base.model_copy(update={
        "llm": LLMSettings(base_url=llama_server.base_url, model="qwen-small", timeout_s=240, max_tokens=160,
                           structured="on"),  # llama.cpp takes a json_schema response_format
        "answer": AnswerSettings(composer="llm"),
        "search": base.search.model_copy(update={"k": 2}),
        "service": ServiceSettings(rate_limit_per_client=""),
    })
    with serving(settings) as url, openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as api:
        stream = api.chat.completions.create(model="funding-helpdesk", stream=True,
                                             messages=[{"role": "user", "content": QUESTION}])
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text.strip()
    assert MARKER.search(text) or "cannot answer" in text, text


def test_serve_refuses_to_start_on_a_file_that_is_not_a_gguf_model(tmp_path):
    import os
    import subprocess
    import sys

    fake = tmp_path / "model.gguf"
    fake.write_text("not a model")
    env = {**os.environ, "HELPDESK_DATA_DIR": str(tmp_path / "data"), "HELPDESK_LLM_GGUF": str(fake)}
    done = subprocess.run([sys.executable, "-m", "service", "serve", "--port", "0", "--no-ui"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "HELPDESK_LLM_GGUF" in done.stderr + done.stdout and "is not a GGUF model" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
