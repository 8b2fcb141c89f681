"""What of a long unit is shown: a verbatim excerpt of the clauses that answer, cut with an ellipsis.

A flattened table, or an act's numbered paragraphs run together, make a unit of many hundred characters of which
one clause answers. The composer chooses and cites units whole; only the quote shown is cut, and only between
clauses, so it stays the source's own words and its citation does not change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

ELLIPSIS = "…"
# Where a clause may end: after a semicolon, a colon or a full stop, and before a numbered paragraph or point
# ("(2) ", "3) ", "b) ") that the sentence splitter left inside the unit. A full stop ends one only before a
# capital or a bracket and not after a digit: "31. detsembril", "2021. aasta" and "art. 5" go on.
_BOUNDARY = re.compile(r"(?<=[;:.!?])\s+(?=\S)|\s+(?=\(\d{1,3}[a-z]?\)\s)|\s+(?=(?:\d{1,3}|[a-z])\)\s)")
_OPENING = "([„“\"«‘'"
# Within a clause too long to show whole: after a comma or a dash, then between words.
_SOFT_BOUNDARY = re.compile(r"(?<=,)\s+|\s+(?=[–—]\s)")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Clause:
    start: int  # offsets into the unit's text
    end: int
    introduces: bool = False  # ends with a colon: what follows is its list

    def text(self, unit: str) -> str:
        return unit[self.start:self.end]


def clauses(text: str, limit: int, max_words: int) -> list[Clause]:
    """`text` cut at clause boundaries. A clause is kept whole up to twice `limit` characters (a long sentence is
    still one thing said); a longer one (paragraphs or a table's rows run together) is cut after its commas and
    before its dashes, and a piece still longer than `limit` into pieces of `max_words` words."""
    pieces: list[Clause] = []
    for clause in _split(text, 0, len(text), _BOUNDARY):
        if _length(clause) <= 2 * limit:
            pieces.append(clause)
            continue
        for part in _split(text, clause.start, clause.end, _SOFT_BOUNDARY):
            pieces += _by_words(text, part.start, part.end, max_words) if _length(part) > limit else [part]
    return pieces


def _length(clause: Clause) -> int:
    return clause.end - clause.start


def _ends_clause(text: str, found: re.Match[str]) -> bool:
    before, after = text[found.start() - 1:found.start()], text[found.end():found.end() + 1]
    if before not in (".", "!", "?"):
        return True
    return not text[found.start() - 2:found.start() - 1].isdigit() and (after.isupper() or after in _OPENING)


def _split(text: str, start: int, end: int, boundary: re.Pattern[str]) -> list[Clause]:
    pieces = []
    for found in [*(m for m in boundary.finditer(text, start, end) if _ends_clause(text, m)), None]:
        stop = found.start() if found else end
        if text[start:stop].strip():
            pieces.append(Clause(start, stop, text[start:stop].rstrip().endswith(":")))
        if found:
            start = found.end()
    return pieces


def _by_words(text: str, start: int, end: int, max_words: int) -> list[Clause]:
    words = list(_WORD.finditer(text, start, end))
    return [Clause(words[i].start(), words[min(i + max_words, len(words)) - 1].end())
            for i in range(0, len(words), max_words)]


def excerpt_span(pieces: Sequence[Clause], scores: Sequence[float], limit: int, margin: float,
                 anchor: int | None = None) -> tuple[int, int]:
    """(first, last) clause of the excerpt: the best-scoring clause, or the `anchor` one (the clause holding a
    value the answer restates), joined by neighbours scoring within `margin` of it, the better-scoring side first,
    while the excerpt spans at most `limit` characters. A neighbour that answers less is left to the ellipsis,
    except the items after a clause introducing them ("the following costs are ineligible:")."""
    best = anchor if anchor is not None else max(range(len(pieces)), key=lambda i: (scores[i], -i))
    floor = scores[best] - margin
    first = last = best
    listing = pieces[best].introduces  # the excerpt ends in a list: its next items follow while there is room
    while True:
        sides = [i for i in (first - 1, last + 1) if 0 <= i < len(pieces)
                 and (scores[i] >= floor or (i == last + 1 and listing))
                 and max(pieces[last].end, pieces[i].end) - min(pieces[first].start, pieces[i].start) <= limit]
        if not sides:
            return first, last
        pick = max(sides, key=lambda i: (scores[i], -i))
        first, last = min(first, pick), max(last, pick)
        listing = listing or pieces[last].introduces


def render(text: str, pieces: Sequence[Clause], first: int, last: int) -> str:
    """The excerpt as quoted: the source's characters from the first clause to the last, an ellipsis where the
    unit goes on."""
    shown = text[pieces[first].start:pieces[last].end]
    if first > 0:
        shown = f"{ELLIPSIS} {shown}"
    if last < len(pieces) - 1 and not shown.endswith(ELLIPSIS):
        shown = f"{shown} {ELLIPSIS}"
    return shown
