"""Checks an LLM's draft against the sources it was given: markers, refusals, uncited sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.chunker import split_sentences

# The model is told to answer exactly this when the sources do not answer; matched loosely (case, spaces).
REFUSAL_SENTINEL = "NO_ANSWER_IN_SOURCES"
_SENTINEL = re.compile(r"NO[\s_]*ANSWER[\s_]*IN[\s_]*SOURCES", re.IGNORECASE)
_MARKER = re.compile(r"\[(\s*\d+\s*(?:[,;]\s*\d+\s*)*)\]")


@dataclass
class CheckedAnswer:
    text: str
    cited: list[int] = field(default_factory=list)  # source numbers, in order of first use
    dropped: list[int] = field(default_factory=list)  # markers pointing at sources that do not exist
    uncited_sentences: list[str] = field(default_factory=list)
    refused: bool = False


def check_answer(text: str, n_sources: int) -> CheckedAnswer:
    """Drop markers to missing sources, list the cited ones, flag sentences without any marker."""
    if _SENTINEL.search(text):
        return CheckedAnswer(text="", refused=True)
    cited: list[int] = []
    dropped: list[int] = []

    def keep_valid(match: re.Match) -> str:
        numbers = [int(n) for n in re.split(r"[,;]", match.group(1))]
        valid = [n for n in numbers if 1 <= n <= n_sources]
        dropped.extend(n for n in numbers if n not in valid)
        cited.extend(n for n in valid if n not in cited)
        return "".join(f"[{n}]" for n in valid)

    cleaned = _MARKER.sub(keep_valid, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()
    uncited = [s for s in split_sentences(cleaned) if not _MARKER.search(s) and _is_claim(s)]
    return CheckedAnswer(cleaned, cited, dropped, uncited)


def _is_claim(sentence: str) -> bool:
    """Lead-ins ('According to the sources:') and bare list labels state nothing that needs a source; a figure does."""
    if sentence.rstrip().endswith(":"):
        return False
    return any(ch.isdigit() for ch in sentence) or sum(ch.isalnum() for ch in sentence) >= 12
