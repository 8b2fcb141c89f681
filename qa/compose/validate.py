"""Checks an LLM's draft against the sources it was given: markers, refusals, uncited sentences, links."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from common.schema import SearchHit
from common.text import split_sentences

# The model is told to answer exactly this when the sources do not answer; matched loosely (case, spaces).
REFUSAL_SENTINEL = "NO_ANSWER_IN_SOURCES"
_SENTINEL = re.compile(r"NO[\s_]*ANSWER[\s_]*IN[\s_]*SOURCES", re.IGNORECASE)
_MARKER = re.compile(r"\[(\s*\d+\s*(?:[,;]\s*\d+\s*)*)\]")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_ADDRESS = re.compile(r"(?:\bhttps?:)?//[^\s<>\"'()\[\]]+|\bwww\.[^\s<>\"'()\[\]]+", re.IGNORECASE)
_EMPTY_LINK = re.compile(r"\[([^\]]*)\]\(\s*\)")
# "… 85 %. [1] Another claim": markers after the full stop still close that sentence.
_AFTER_MARKERS = re.compile(r"([.!?…]\s*(?:\[\d+\])+)\s+(?=\S)")


@dataclass
class CheckedAnswer:
    text: str
    cited: list[int] = field(default_factory=list)  # source numbers, in order of first use
    dropped: list[int] = field(default_factory=list)  # markers pointing at sources that do not exist
    uncited_sentences: list[str] = field(default_factory=list)  # taken out of the text
    refused: bool = False


def check_answer(text: str, n_sources: int) -> CheckedAnswer:
    """Drop markers to missing sources, list the cited ones, take out claims without any marker."""
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

    cleaned = _tidy(_MARKER.sub(keep_valid, text))
    # Every claim is cited or not said: a sentence without a marker is taken out (and listed), whatever prompted it,
    # be it the model's own knowledge or an instruction planted in a document ("Approved.").
    uncited = [s for s in _sentences(cleaned) if not _MARKER.search(s) and _is_claim(s)]
    for sentence in uncited:
        cleaned, whole_lines = re.subn(rf"(?m)^[ \t]*{re.escape(sentence)}[ \t]*(?:\n|$)", "", cleaned, count=1)
        if not whole_lines:
            cleaned = cleaned.replace(sentence, "", 1)
    return CheckedAnswer(_tidy(cleaned), cited, dropped, uncited)


def _sentences(text: str) -> list[str]:
    return [part for line in text.splitlines() for sentence in split_sentences(line)
            for part in _AFTER_MARKERS.sub("\\1\n", sentence).split("\n") if part.strip()]


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text))
    text = re.sub(r"(?m)^[ \t]*(?:[-*•]|\d+[.)])[ \t]*$\n?", "", text)  # a list item whose claim was taken out
    return re.sub(r"\n[ \t]+\n", "\n\n", re.sub(r"\n{3,}", "\n\n", text)).strip()


# A bare list label: "1.", "b)", "(iv)", "-".
_LABEL = re.compile(r"[-*•\s]*\(?(?:\d{1,3}|[a-z]|[ivxlc]{1,5})?[.)]?\s*", re.IGNORECASE)


def _is_claim(sentence: str) -> bool:
    """Lead-ins ('According to the sources:') and bare list labels state nothing that needs a source; anything else
    does, however short ('Approved.', 'Yes, eligible!')."""
    stripped = sentence.strip()
    if stripped.endswith(":") or _LABEL.fullmatch(stripped):
        return False
    return any(ch.isalnum() for ch in stripped)


def remove_foreign_links(text: str, hits: list[SearchHit]) -> tuple[str, list[str]]:
    """Drop images and every address that the sources do not contain verbatim; returns (text, what was removed).

    A planted instruction can make a model write a link that carries the conversation to someone else's server,
    and a Markdown image is fetched by the chat client without a click. An address copied from a source carries
    nothing new, so those stay.
    """
    sources = "\n".join(f"{hit.text}\n{hit.url or ''}" for hit in hits)
    removed: list[str] = []

    def image(match: re.Match) -> str:
        removed.append(match.group(0))
        return match.group(1)

    def address(match: re.Match) -> str:
        found = match.group(0).rstrip(".,;:!?")
        if found in sources:
            return match.group(0)
        removed.append(found)
        return match.group(0)[len(found):]

    cleaned = _EMPTY_LINK.sub(r"\1", _ADDRESS.sub(address, _IMAGE.sub(image, text)))
    return cleaned, removed


class StreamGuard:
    """What of a streaming draft may be shown yet: whole sentences only, after the checks the final answer gets
    (claims without a marker withheld, foreign links removed), so a planted instruction never flashes on screen."""

    def __init__(self, hits: list[SearchHit]) -> None:
        self.hits = hits
        self.draft = ""
        self.complete = 0  # the draft up to here is whole sentences
        self.shown = ""

    def feed(self, delta: str) -> str:
        self.draft += delta
        # Only the text after the last whole sentence is split again, so a token costs little, not the whole draft.
        pieces = _sentences(self.draft[self.complete:])
        if len(pieces) < 2:  # the last sentence may still grow, or get its marker: hold it
            return ""
        # The pieces have their whitespace normalised: find where the last one starts in the draft as written.
        last = r"\s+".join(map(re.escape, pieces[-1].split()))
        held = re.search(rf"{last}\s*$", self.draft[self.complete:])
        if held is None:
            return ""
        self.complete += held.start()
        return self._advance(self.draft[: self.complete])

    def close(self) -> str:
        return self._advance(self.draft)

    def _advance(self, text: str) -> str:
        checked = check_answer(text, len(self.hits))
        safe = remove_foreign_links(checked.text, self.hits)[0]
        if checked.refused or not safe.startswith(self.shown):
            return ""  # the final checked answer settles it
        new, self.shown = safe[len(self.shown):], safe
        return new
