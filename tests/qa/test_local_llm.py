"""A real LLM in the loop: the in-process GGUF backend and a real llama.cpp server over HTTP, with a small model.

The 0.5B model answers poorly, so these tests check what must hold whatever the model writes (another CPU may
round differently and tip a greedy choice): the protocol and the chat template work, citations resolve to the
passages given, a shown claim is always cited, cut-off answers and timeouts end in an extractive answer with the
reason, never in a crash or a hang. The few questions are English and short (two passages) to keep the prompt
small on a 2-core machine.
"""

from __future__ import annotations

import re

import pytest

from common.settings import AnswerSettings, LLMSettings
from qa.compose.base import ComposeRequest
from qa.compose.llm import LLMComposer, answer_schema, from_structured
from qa.compose.validate import REFUSAL_SENTINEL
from qa.condense import condense
from qa.helpdesk import Helpdesk
from qa.llm import ChatClient, LLMError, chat_backend
from qa.local_llm import LocalChatModel, LocalModelError, check_gguf
from qa.rerank import LLMReranker
from qa.retriever import Retriever

QUESTION = "What is the maximum EU co-financing rate for less developed regions?"
OFF_TOPIC = "What is the boiling point of mercury?"
MARKER = re.compile(r"\[(\d+)\]")


def test_a_missing_or_foreign_file_is_a_named_error(tmp_path):
    with pytest.raises(LocalModelError, match="does not exist"):
        LocalChatModel(LLMSettings(gguf=tmp_path / "absent.gguf"))
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 a zip, not a model")
    with pytest.raises(LocalModelError, match="is not a GGUF model"):
        check_gguf(fake)
    with pytest.raises(LLMError, match="HELPDESK_LLM_GGUF"):  # the helpdesk refuses to start on it, saying why
        chat_backend(LLMSettings(gguf=fake))


def test_settings_choose_the_backend(tmp_path):
    assert chat_backend(LLMSettings()) is None
    client = chat_backend(LLMSettings(base_url="http://127.0.0.1:9/v1", model="m"))
    assert isinstance(client, ChatClient) and not client.settings.wants_structured
    client.close()
    local = LLMSettings(gguf=tmp_path / "m.gguf", base_url="http://127.0.0.1:9/v1", model="m")
    assert local.configured and local.local and local.wants_structured and local.model_name == "m"


def test_a_structured_reply_becomes_cited_text():
    reply = '{"sentences": [{"text": "The rate is 85 %.", "sources": [2, 2]}, {"text": "It is a cap [9]", "sources": [1]}]}'
    assert from_structured(reply) == "The rate is 85 % [2]. It is a cap [1]"
    assert from_structured('{"sentences": []}') == REFUSAL_SENTINEL
    with pytest.raises(LLMError, match="not valid JSON"):
        from_structured('{"sentences": [{"text": "cut o')
    schema = answer_schema(3)
    source = schema["properties"]["sentences"]["items"]["properties"]["sources"]
    assert source["minItems"] == 1 and source["items"]["maximum"] == 3


@pytest.fixture(scope="module")
def two_passages(sample_runtime):
    retriever = Retriever(sample_runtime.settings, sample_runtime.store, sample_runtime.embedder)
    return retriever.search(QUESTION, k=2, language="en").hits


def assert_every_claim_cited(answer) -> None:
    """What the asker sees: a refusal, or text whose markers all name a listed citation."""
    if not answer.answerable:
        assert not answer.citations
        return
    numbers = {int(n) for n in MARKER.findall(answer.answer)}
    assert numbers and numbers <= {c.n for c in answer.citations}, answer.answer


@pytest.mark.llm
def test_local_gguf_answers_with_citations_that_resolve(sample_runtime, small_gguf):
    settings = sample_runtime.settings.model_copy(update={
        "llm": LLMSettings(gguf=small_gguf, threads=2, context_tokens=2048, timeout_s=240, max_tokens=160),
        "answer": AnswerSettings(composer="llm"),
    })
    helpdesk = Helpdesk(settings, sample_runtime.store, sample_runtime.embedder)
    events = list(helpdesk.ask_stream(QUESTION, k=2, language="en"))
    answer = events[-1].answer
    assert answer.composer == "llm" and "fallback" not in answer.diagnostics, answer.diagnostics
    assert_every_claim_cited(answer)  # the grammar makes every sentence carry a source (on this machine it answers)
    streamed = "".join(e.delta for e in events if e.delta)
    if answer.answerable:
        assert streamed and all(MARKER.search(line) for line in streamed.splitlines() if line.strip())
    assert LocalChatModel(settings.llm)._server is helpdesk.llm._server  # loaded once per process


@pytest.mark.llm
def test_local_gguf_off_topic_question_is_refused_or_cited(sample_runtime, small_gguf, two_passages):
    model = LocalChatModel(LLMSettings(gguf=small_gguf, threads=2, context_tokens=2048, timeout_s=240))
    composition = LLMComposer(model, max_tokens=120).compose(ComposeRequest(OFF_TOPIC, "en", two_passages))
    # On this machine the model returns an empty list, i.e. the refusal; whatever it returns, nothing is uncited.
    numbers = {int(n) for n in MARKER.findall(composition.text)}
    if composition.answerable:
        assert numbers and numbers <= {c.n for c in composition.citations}, composition.text
    else:
        assert not composition.citations and not numbers


@pytest.mark.llm
def test_a_structured_answer_cut_off_falls_back_to_extractive_with_the_reason(sample_runtime, small_gguf):
    settings = sample_runtime.settings.model_copy(update={
        "llm": LLMSettings(gguf=small_gguf, threads=2, context_tokens=2048, timeout_s=240, max_tokens=3),
        "answer": AnswerSettings(composer="llm"),
    })
    answer = Helpdesk(settings, sample_runtime.store, sample_runtime.embedder).ask(QUESTION, k=2, language="en")
    assert answer.composer == "extractive" and "not valid JSON" in answer.diagnostics["fallback"]["reason"]
    assert answer.answerable and answer.citations


@pytest.mark.llm
def test_a_local_timeout_falls_back_to_extractive_with_the_reason(sample_runtime, small_gguf):
    settings = sample_runtime.settings.model_copy(update={
        "llm": LLMSettings(gguf=small_gguf, threads=2, context_tokens=2048, timeout_s=0.3),
        "answer": AnswerSettings(composer="llm"),
    })
    answer = Helpdesk(settings, sample_runtime.store, sample_runtime.embedder).ask(QUESTION, k=2, language="en")
    assert answer.composer == "extractive" and "timed out" in answer.diagnostics["fallback"]["reason"]
    assert answer.answerable and answer.citations


def server_settings(server, **extra) -> LLMSettings:
    return LLMSettings(base_url=server.base_url, model="qwen-small", timeout_s=240, max_tokens=160, **extra)


@pytest.mark.llm
def test_a_real_llama_server_over_http_completes_streams_and_condenses(llama_server):
    client = ChatClient(server_settings(llama_server))
    messages = [{"role": "user", "content": "Repeat exactly this word and nothing else: Brussels"}]
    try:
        whole = client.complete(messages, max_tokens=8)
        streamed = list(client.stream(messages, max_tokens=8))
        assert whole.strip() and len(streamed) > 1 and "".join(streamed).strip() == whole.strip()
        history = [{"role": "user", "content": QUESTION},
                   {"role": "assistant", "content": "85 % for less developed regions [1]."}]
        standalone = condense(history, "And for transition regions?", client)
        assert standalone.strip() and "\n" not in standalone.strip()
    finally:
        client.close()


@pytest.mark.llm
def test_llm_rerank_with_a_real_model_keeps_every_passage(llama_server, two_passages):
    client = ChatClient(server_settings(llama_server))
    try:
        ranked = LLMReranker(client).rerank(QUESTION, two_passages)
    finally:
        client.close()
    assert sorted(h.chunk_id for h in ranked) == sorted(h.chunk_id for h in two_passages)
