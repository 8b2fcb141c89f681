"""A document's title: its metadata title when it names the document, else the title its own first lines give.

The title is embedded with every chunk (see ingest.context), so a question that names the act or measure finds
its articles; a file name or a journal's name there would only add noise.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

_DATA = Path(__file__).with_name("data") / "titles.yaml"
# How far into the document a title is looked for, and how long a derived title may be.
_LEAD_LINES = 25
_MIN_TITLE = 40
_MAX_TITLE = 200


@lru_cache(maxsize=1)
def _data() -> dict:
    return yaml.safe_load(_DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _rules() -> tuple[re.Pattern[str], re.Pattern[str]]:
    raw = _data()
    junk = re.compile("^(?:" + "|".join(f"(?:{p})" for p in raw["junk_titles"]) + r")\s*$", re.IGNORECASE)
    words = sorted({w for per_language in raw["act_title_words"].values() for w in per_language}, key=len, reverse=True)
    act = re.compile(r"^(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    return junk, act


def act_title_languages() -> set[str]:
    return set(_data()["act_title_words"])


def is_junk_title(title: str) -> bool:
    return bool(_rules()[0].match(title.strip()))


def _clip(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= _MAX_TITLE:
        return text
    cut = text[:_MAX_TITLE].rsplit(" ", 1)[0]
    return cut.rstrip(",;:–-") + "…"


def lead_title(lines: list[str]) -> str | None:
    """A title from a document's first lines: the line opening a legal act's title ("Décret n° 2022-608 du
    21 avril 2022 fixant ...") with the lines that continue it, else the first lines up to a title's length."""
    _, act = _rules()
    lead = [line.strip() for line in lines[:_LEAD_LINES] if line.strip()]
    if not lead:
        return None
    start = next((i for i, line in enumerate(lead) if act.match(line)), 0)
    taken: list[str] = []
    for line in lead[start:]:
        taken.append(line)
        if len(" ".join(taken)) >= _MIN_TITLE:  # a headline or an act's first line; more is its body
            break
    title = _clip(" ".join(taken))
    return title if re.search(r"[^\W\d_]{3}", title) else None


def document_title(metadata_title: str | None, first_lines: list[str], file_stem: str) -> str:
    title = " ".join(str(metadata_title or "").split())
    if title and not is_junk_title(title):
        return title
    return lead_title(first_lines) or file_stem.replace("_", " ").replace("-", " ").strip() or file_stem
