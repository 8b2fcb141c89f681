"""Chat front-ends' background task prompts (title, tags, follow-ups...), recognised and answered without retrieval.

The phrases that identify each task and the topic tags live in data/task_prompts.yaml. Answered here: a title
made of the conversation's first question (so it is in the conversation's language), tags for the funds and
topics it names, and no follow-ups or search queries (the helpdesk suggests nothing it has not looked up).
With an LLM configured (HELPDESK_TASK_PROMPTS=auto or llm), the prompt goes to the LLM as it came instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).with_name("data") / "task_prompts.yaml"
TITLE_WORDS = 6
TITLE_CHARS = 60
_HISTORY = re.compile(r"<chat_history>(.*?)</chat_history>", re.DOTALL | re.IGNORECASE)
_SPEAKER = re.compile(r"^\s*(USER|ASSISTANT|AI)\s*:\s*", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Task:
    name: str
    json_key: str | None
    markers: tuple[str, ...]


@cache
def _data() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def tasks() -> list[Task]:
    return [Task(name, spec.get("json_key"), tuple(m.casefold() for m in spec["markers"]))
            for name, spec in _data()["tasks"].items()]


def recognise(prompt: str) -> Task | None:
    folded = " ".join(prompt.casefold().split())
    return next((task for task in tasks() if any(marker in folded for marker in task.markers)), None)


def conversation_user_turns(prompt: str, earlier_user_turns: list[str]) -> list[str]:
    """The user's turns the task is about: quoted in the prompt (Open WebUI's <chat_history> block, LibreChat's
    'User:' lines), else the request's own earlier turns."""
    block = _HISTORY.search(prompt)
    turns, speaker = [], None
    for part in _SPEAKER.split(block.group(1) if block else prompt):
        if part.upper() in ("USER", "ASSISTANT", "AI"):
            speaker = part.upper()
        elif speaker == "USER" and part.strip():
            turns.append(part.strip())
    return turns or earlier_user_turns


def title(user_turns: list[str]) -> str:
    """The first question's opening words: short, and in the language the conversation is in."""
    words = (user_turns[0].split() if user_turns else [])[:TITLE_WORDS]
    text = " ".join(words).strip(" \t\n.,;:!?¿¡…\"'«»„“”")
    if len(text) > TITLE_CHARS:
        text = text[:TITLE_CHARS].rsplit(" ", 1)[0]
    return text[:1].upper() + text[1:] if text else "EU funding"


def topic_tags(user_turns: list[str]) -> list[str]:
    text = " ".join(user_turns).casefold()
    found = []
    for tag, names in _data()["topic_tags"].items():
        if any(re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", text) for name in names):
            found.append(tag)
    return found[:3]


def local_answer(task: Task, prompt: str, earlier_user_turns: list[str]) -> str:
    """What the front-end expects back: JSON with the task's key when its prompt asks for JSON, else plain text."""
    turns = conversation_user_turns(prompt, earlier_user_turns)
    value: object
    if task.name == "title":
        value = title(turns)
    elif task.name == "tags":
        value = topic_tags(turns)
    elif task.name in ("follow_ups", "queries"):
        value = []
    elif task.name == "emoji":
        return "💬"
    else:
        value = ""
    wants_json = task.json_key is not None and "json" in prompt.casefold()
    if wants_json:
        return json.dumps({task.json_key: value}, ensure_ascii=False)
    return value if isinstance(value, str) else ", ".join(value)
