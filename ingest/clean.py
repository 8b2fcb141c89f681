"""Text clean-up for extracted pages: running headers/footers, words hyphenated across lines, stray spacing."""

from __future__ import annotations

import re
from collections import Counter

from common.text import is_heading_line
from ingest.loaders.base import Page

# Lines this close to the top or bottom of a page are candidates for running headers/footers.
EDGE_LINES = 2
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+")
# "régle-\nment" -> "règlement"; only when the next line starts lower-case, so "EU-\nFunds" keeps its hyphen.
_HYPHEN_BREAK = re.compile(r"([^\W\d_])[-\u2010\u00ad]\n(?=[^\W\d_])")


def _line_key(line: str) -> str:
    # Page numbers and dates vary from page to page; the rest of a running header does not.
    return _DIGITS.sub("#", _SPACES.sub(" ", line.strip().casefold()))


def _edge_positions(lines: list[str]) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:EDGE_LINES] + filled[-EDGE_LINES:]))


def remove_running_lines(pages: list[Page], min_share: float = 0.08) -> list[Page]:
    """Drop lines that recur at the top or bottom of at least `min_share` of the pages (3 pages at least).

    The share is low on purpose: official journals alternate odd/even headers, and broken font encodings
    split one header into several variants, each on a fraction of the pages. Heading-like lines
    ("Article #" at the top of a page) never count as running lines.
    """
    if len(pages) < 3:
        return pages
    split = [p.text.splitlines() for p in pages]
    counts: Counter[str] = Counter()
    for lines in split:
        # Judge heading-likeness on the line itself: the key has its digits masked ("article #").
        counts.update({_line_key(lines[i]) for i in _edge_positions(lines) if not is_heading_line(lines[i].strip())})
    threshold = max(3, int(min_share * len(pages) + 0.999))
    running = {key for key, n in counts.items() if n >= threshold and key and not is_heading_line(key)}
    if not running:
        return pages
    cleaned = []
    for page, lines in zip(pages, split):
        drop = {i for i in _edge_positions(lines) if _line_key(lines[i]) in running}
        cleaned.append(Page(page.number, "\n".join(line for i, line in enumerate(lines) if i not in drop)))
    return cleaned


def _join_hyphenated(text: str) -> str:
    def join(match: re.Match[str]) -> str:
        following = text[match.end()] if match.end() < len(text) else ""
        return match.group(1) if following.islower() else match.group(0)

    return _HYPHEN_BREAK.sub(join, text)


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _join_hyphenated(text)
    text = text.replace("\u00ad", "")  # remaining soft hyphens are invisible break hints
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines)


def clean_pages(pages: list[Page], min_share: float = 0.08) -> list[Page]:
    return [Page(p.number, clean_text(p.text)) for p in remove_running_lines(pages, min_share)]
