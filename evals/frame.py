"""The frame of an answer: what the composer wrote itself, as opposed to what it copied from the passages.

An extractive answer quotes its sources verbatim (in their language) inside a lead-in and notes in the asker's
language; an LLM answer may quote or translate. The asker's language is judged on the frame, so that a correct
quote in the source's language is not counted against the answer, while a translated passage (no longer a copy)
is part of the frame.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from evals.matching import fact_text

# Runs of this many words or more that also occur in a passage count as copied: shorter runs ("of the", "the
# maximum rate") are ordinary phrasing shared by any two texts in one language.
COPIED_RUN_WORDS = 4
_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", fact_text(text)))


def answer_frame(answer: str, passages: Iterable[str], run: int = COPIED_RUN_WORDS) -> str:
    """The answer's words (citation markers removed) outside every run of `run` words copied from a passage;
    the whole answer's words when nothing else is left."""
    words = _words(answer)
    copied_runs = {tuple(ws[i:i + run]) for ws in map(_words, passages) for i in range(len(ws) - run + 1)}
    copied = [False] * len(words)
    for i in range(len(words) - run + 1):
        if tuple(words[i:i + run]) in copied_runs:
            copied[i:i + run] = [True] * run
    frame = [word for word, was_copied in zip(words, copied) if not was_copied]
    return " ".join(frame or words)
