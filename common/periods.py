"""Programming periods: which one a document belongs to, and which one a question asks about.

Cohesion-policy texts of three periods sit side by side in a helpdesk's index and read almost alike, so a
question about today's rules must not be answered from a 2007-2013 act. Ingest records each document's
period; retrieval prefers the period a question names, or the current one when it names none.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

_DATA = Path(__file__).with_name("data") / "periods.yaml"

# "2021-2027", "2021–27", "2014 – 2020", "2007/2013": a start year and an end year (two or four digits).
_RANGE = re.compile(r"(?<![\d/.,])((?:19|20)\d{2})\s*[-–—/]\s*((?:19|20)?\d{2})(?![\d/])")
_YEAR = re.compile(r"(?<![\d/.,-])((?:19|20)\d{2})(?![\d])")


class PeriodError(ValueError):
    """A period that is not one of the known programming periods."""


@dataclass(frozen=True)
class Periods:
    names: tuple[str, ...]
    current: str

    def years(self, name: str) -> tuple[int, int]:
        start, end = name.split("-")
        return int(start), int(end)

    def containing(self, year: int) -> str | None:
        return next((name for name in self.names if self.years(name)[0] <= year <= self.years(name)[1]), None)

    def older_than_current(self, name: str) -> bool:
        return self.years(name)[1] < self.years(self.current)[0]


@lru_cache(maxsize=1)
def known_periods() -> Periods:
    raw = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    return Periods(tuple(raw["periods"]), raw["current"])


def normalise_period(value: str) -> str:
    """'2021–27' or '2021/2027' -> '2021-2027'; PeriodError for anything that is not a known period."""
    found = find_periods(str(value))
    if len(found) != 1 or re.sub(r"[\s\-–—/\d]", "", str(value)):
        raise PeriodError(f"unknown period {value!r}; use one of: {', '.join(known_periods().names)}")
    return found[0]


def find_periods(text: str) -> list[str]:
    """Known programming periods named in `text` as year ranges, in order of appearance, without repeats."""
    periods = known_periods()
    found: list[str] = []
    for match in _RANGE.finditer(text):
        start, end = match.group(1), match.group(2)
        end = end if len(end) == 4 else start[:2] + end
        name = f"{start}-{end}"
        if name in periods.names and name not in found:
            found.append(name)
    return found


def _period_mentions(text: str) -> Counter[str]:
    periods = known_periods()
    counts: Counter[str] = Counter()
    for match in _RANGE.finditer(text):
        start, end = match.group(1), match.group(2)
        name = f"{start}-{end if len(end) == 4 else start[:2] + end}"
        if name in periods.names:
            counts[name] += 1
    return counts


def document_period(metadata: dict[str, Any], title: str, file_name: str, text: str) -> str | None:
    """The period a document belongs to, from the most to the least explicit evidence:
    its metadata, a period in its title or file name, the year in its title, the period its text names most
    often, and last its adoption date or a year in its file name."""
    periods = known_periods()
    declared = metadata.get("period")
    if declared:
        try:
            return normalise_period(str(declared))
        except PeriodError:
            pass
    for field in (title, file_name.replace("_", " ")):
        named = find_periods(field)
        if len(named) == 1:
            return named[0]
    # An act's own year ("Regulation (EU) 2021/1060", "Besluit van 3 oktober 2007") before what its text
    # mentions: a regulation names the period it replaces in every transitional article.
    title_years = [int(y) for y in _YEAR.findall(title)]
    if title_years and periods.containing(title_years[0]):
        return periods.containing(title_years[0])
    mentions = _period_mentions(text)
    if mentions:
        (best, count), *rest = mentions.most_common()
        # A clear majority: guides and acts name their own period again and again, others in passing.
        if count >= 2 and count >= 2 * (rest[0][1] if rest else 0):
            return best
    for field in (str(metadata.get("adoption_date") or ""), file_name.replace("_", " ")):
        years = [int(y) for y in _YEAR.findall(field)]
        if years and periods.containing(years[0]):
            return periods.containing(years[0])
    return None


def question_periods(question: str) -> list[str]:
    """The periods a question names explicitly ("2014-2020"); a bare year is not read as one (deadlines)."""
    return find_periods(question)
