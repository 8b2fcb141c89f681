"""The chat endpoint as OpenAI clients use it: the official `openai` package against the real server on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from common.language import detect_language
from service.api import tasks
from service.api.tokens import approximate_tokens

QUESTION = "What is the co-financing rate for less developed regions?"
BG_QUESTION = "Какъв е максималният процент на съфинансиране за по-слабо развитите региони по ЕСФ+?"
PROMPTS = Path(__file__).with_name("data")


@pytest.fixture(scope="module")
def client(api):
    with openai.OpenAI(base_url=str(api.base_url).rstrip("/") + "/v1", api_key="unused", http_client=api.http_client(),
                       max_retries=0) as openai_client:
        yield openai_client


def test_models_list_the_helpdesk_and_answers_echo_the_requested_model(client):
    assert "funding-helpdesk" in [m.id for m in client.models.list().data]
    completion = client.chat.completions.create(model="funding-helpdesk",
                                                messages=[{"role": "user", "content": QUESTION}])
    assert completion.model == "funding-helpdesk" and completion.choices[0].finish_reason == "stop"


def test_unknown_model_is_404_as_openai_answers(client):
    with pytest.raises(openai.NotFoundError) as refused:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    assert refused.value.body["code"] == "model_not_found"


@pytest.fixture(scope="module")
def tokens(api):
    """Token counts from the tokenizer of the embedding model the server runs, read here on its own."""
    from common.embedder import load_embedder

    model = load_embedder(api.settings.embed)
    if not callable(getattr(model, "count_tokens", None)):
        pytest.skip(f"{model.name} exposes no tokenizer to count with")
    return model.count_tokens


SYSTEM = "You are helpful."


def test_usage_counts_prompt_and_completion_tokens_with_the_models_tokenizer(client, tokens):
    completion = client.chat.completions.create(model="funding-helpdesk", messages=[
        {"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}])
    content = completion.choices[0].message.content
    usage = completion.usage
    assert "85 %" in content
    # Every message of the prompt counts, each as the model's tokenizer splits it (not a characters-per-token guess).
    assert approximate_tokens(SYSTEM) + approximate_tokens(QUESTION) != tokens(SYSTEM) + tokens(QUESTION)
    assert usage.prompt_tokens == tokens(SYSTEM) + tokens(QUESTION)
    assert usage.completion_tokens == tokens(content) and len(content.split()) < usage.completion_tokens
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_source_links_point_to_the_cited_page_of_the_original(client, api):
    completion = client.chat.completions.create(model="funding-helpdesk",
                                                messages=[{"role": "user", "content": QUESTION}])
    content = completion.choices[0].message.content
    citation = completion.model_extra["citations"][0]
    assert "source" not in citation and citation["name"] and citation["file_url"].startswith(str(api.base_url))
    reference = next(line for line in content.splitlines() if line.startswith("[1] "))
    assert citation["file_url"] in reference and f"/v1/documents/{citation['doc_id']}/file" in reference
    if citation["name"].endswith(".pdf") and citation["page_start"]:
        assert reference.endswith(f"#page={citation['page_start']}")
    assert api.get(citation["file_url"].split("#")[0]).status_code == 200


def test_streamed_answer_with_a_usage_chunk(client, tokens):
    stream = client.chat.completions.create(model="funding-helpdesk", stream=True,
                                            stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": QUESTION}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "85 %" in text and "[1]" in text
    assert all(c.usage is None for c in chunks[:-1])
    last = chunks[-1]
    assert last.choices == [] and last.usage.prompt_tokens == tokens(QUESTION)
    assert last.usage.completion_tokens == tokens(text) and last.usage.total_tokens == tokens(QUESTION) + tokens(text)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_no_usage_chunk_unless_asked(client):
    chunks = list(client.chat.completions.create(model="funding-helpdesk", stream=True,
                                                 messages=[{"role": "user", "content": QUESTION}]))
    assert all(c.choices for c in chunks) and all(c.usage is None for c in chunks)


@pytest.mark.parametrize("stream", [False, True])
def test_max_tokens_cuts_the_content(client, stream):
    options = {"model": "funding-helpdesk", "max_tokens": 6, "messages": [{"role": "user", "content": QUESTION}]}
    if stream:
        chunks = list(client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **options))
        content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        finish = [c.choices[0].finish_reason for c in chunks if c.choices][-1]
        usage = chunks[-1].usage
    else:
        completion = client.chat.completions.create(**options)
        content, finish, usage = (completion.choices[0].message.content, completion.choices[0].finish_reason,
                                  completion.usage)
    assert finish == "length" and content and usage.completion_tokens <= 6
    full = client.chat.completions.create(model="funding-helpdesk", messages=options["messages"])
    assert full.choices[0].message.content.startswith(content.rstrip())


@pytest.mark.parametrize("options, field", [
    ({"n": 2}, "n"),
    ({"max_tokens": 100_000}, "max_tokens"),
    ({"max_completion_tokens": 100_000}, "max_completion_tokens"),
    ({"max_tokens": 0}, "max_tokens"),
])
def test_what_cannot_be_honoured_is_422_naming_the_field(client, options, field):
    with pytest.raises(openai.UnprocessableEntityError) as refused:
        client.chat.completions.create(model="funding-helpdesk", messages=[{"role": "user", "content": QUESTION}],
                                       **options)
    assert field in [f["field"] for f in refused.value.body["fields"]]
    assert isinstance(refused.value.body["message"], str)


def _task_prompt(name: str, question: str = BG_QUESTION) -> str:
    answer = "Според документите: 85 % за по-слабо развитите региони [1]."
    return (PROMPTS / name).read_text(encoding="utf-8").replace("{question}", question).replace("{answer}", answer)


@pytest.mark.parametrize("stream", [False, True])
def test_open_webui_title_prompt_gets_a_short_title_in_the_chats_language(client, stream):
    messages = [{"role": "user", "content": _task_prompt("openwebui_title.txt")}]
    if stream:
        chunks = list(client.chat.completions.create(model="funding-helpdesk", messages=messages, stream=True))
        content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert "citations" not in (chunks[-1].model_extra or {})
    else:
        completion = client.chat.completions.create(model="funding-helpdesk", messages=messages)
        content = completion.choices[0].message.content
        assert "citations" not in completion.model_extra  # not retrieved, not answered from documents
    title = json.loads(content)["title"]
    assert 1 <= len(title.split()) <= tasks.TITLE_WORDS and "документите" not in title
    assert detect_language(title) == "bg" and BG_QUESTION.startswith(title)


@pytest.mark.parametrize("prompt, key, expected", [
    ("openwebui_tags.txt", "tags", ["ESF+", "Co-financing"]),
    ("openwebui_follow_ups.txt", "follow_ups", []),
    ("openwebui_queries.txt", "queries", []),
])
def test_other_open_webui_task_prompts_get_their_json_without_retrieval(client, prompt, key, expected):
    completion = client.chat.completions.create(model="funding-helpdesk",
                                                messages=[{"role": "user", "content": _task_prompt(prompt)}])
    assert json.loads(completion.choices[0].message.content) == {key: expected}


def test_librechat_title_prompt_gets_a_plain_title(client):
    question = "Quel est le taux de cofinancement pour les régions moins développées ?"
    completion = client.chat.completions.create(model="funding-helpdesk", messages=[
        {"role": "user", "content": _task_prompt("librechat_title.txt", question)}])
    title = completion.choices[0].message.content
    assert title == "Quel est le taux de cofinancement"


def test_task_data_file_is_complete():
    """Each task has phrases and a reply key; each front-end prompt sample is recognised as the task it is."""
    known = {task.name: task for task in tasks.tasks()}
    assert set(known) == {"title", "tags", "follow_ups", "queries", "autocomplete", "emoji"}
    assert all(task.markers and all(marker.strip() for marker in task.markers) for task in known.values())
    samples = {"openwebui_title.txt": "title", "openwebui_tags.txt": "tags", "librechat_title.txt": "title",
               "openwebui_follow_ups.txt": "follow_ups", "openwebui_queries.txt": "queries"}
    assert {p.name for p in PROMPTS.glob("*.txt")} == set(samples)
    for name, task in samples.items():
        assert tasks.recognise(_task_prompt(name)).name == task
    assert tasks.recognise(QUESTION) is None and tasks.recognise(BG_QUESTION) is None
    assert all(names for names in tasks._data()["topic_tags"].values())


def test_usage_counts_with_the_embedders_own_tokenizer_through_its_wrappers():
    from common.embedder import load_embedder
    from common.settings import EmbedSettings
    from service.api.lanes import LaneEmbedder
    from service.api.tokens import approximate_tokens, token_counter

    model = load_embedder(EmbedSettings())
    count = token_counter(LaneEmbedder(model, lambda: model))
    assert count is not approximate_tokens and count("") == 0
    assert count("co-financing") != approximate_tokens("co-financing") or count("ESF+") != approximate_tokens("ESF+")
    assert token_counter(object()) is approximate_tokens  # no tokenizer to reach: the documented approximation


def test_with_an_llm_max_tokens_reaches_it_and_task_prompts_go_to_it(sample_index):
    from tests.qa.openai_server import OpenAIProtocolServer
    from tests.service.test_api_faults import serving, with_llm

    base, _ = sample_index
    with OpenAIProtocolServer() as llm:
        settings = with_llm(base, llm, "cite-first")
        with serving(settings) as url, openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as client:
            assert [m.id for m in client.models.list().data] == ["funding-helpdesk", "cite-first"]
            completion = client.chat.completions.create(model="cite-first", max_tokens=9,
                                                        messages=[{"role": "user", "content": QUESTION}])
            assert completion.model == "cite-first" and completion.usage.completion_tokens <= 9
            assert llm.requests[-1]["body"]["max_tokens"] == 9  # the LLM composer asked for no more
            prompt = _task_prompt("openwebui_title.txt")
            client.chat.completions.create(model="funding-helpdesk", messages=[{"role": "user", "content": prompt}])
            assert llm.requests[-1]["body"]["messages"] == [{"role": "user", "content": prompt}]
