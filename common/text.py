"""Text utilities that both ingest and answering use: sentence splitting and heading detection.

The splitter is rule-based and language-neutral: a period ends a sentence unless it follows an abbreviation of a
served language, a single letter ("z. B.", "J. Smith"), or an ordinal day before a month ("15. března 2026"). The
abbreviations and month names are data (common/data/sentences.yaml).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

_DATA = Path(__file__).with_name("data") / "sentences.yaml"

# Words that introduce a numbered article or paragraph in EU languages (and Russian).
_ARTICLE_WORDS = (
    "Article|Articles|Artikel|Artikkel|Artikla|Artiklan|Artículo|Articolo|Artigo|Articolul|Artykuł|Článek|Článok|"
    "Cikk|Straipsnis|Pants|Člen|Članak|Airteagal|Artiklu|Член|Статья|Стаття|Άρθρο|§"
)
_ARTICLE = re.compile(
    rf"^(?:{_ARTICLE_WORDS})\s*(\d+[a-z]?)\s*\.?(?:\s*[–—:.-]?\s*(?P<title>\S.*))?$", re.IGNORECASE
)
_DIVISION = re.compile(
    r"^(?:CHAPTER|CHAPITRE|KAPITEL|HOOFDSTUK|TITLE|TITRE|TITEL|PART|PARTIE|TEIL|DEEL|ГЛАВА|РАЗДЕЛ|ДЯЛ|"
    r"ΚΕΦΑΛΑΙΟ|ΤΙΤΛΟΣ|ANNEX|ANNEXE|ANHANG|BIJLAGE|ПРИЛОЖЕНИЕ|ΠΑΡΑΡΤΗΜΑ|LISA)\s+[IVXLC\d]+\b.{0,80}$"
    r"|^\d+\.\s+(?:peatükk|jagu)\b.{0,100}$",
    re.IGNORECASE,
)
_MARKDOWN = re.compile(r"^(#{1,6})\s+(\S.*)$")
ARTICLE_LEVEL = 4
DIVISION_LEVEL = 2
MAX_HEADING = 120

# A candidate end: sentence punctuation, space, then (after an opening quote or bracket) a letter, the number of
# a list item ("… selected. 4. Plan the costs …") or, after a full stop, a bullet ("… pro rata. - Co-financing:
# …"), so that a Markdown list read as one paragraph gives one unit per item, not one quote of every item. Items
# after a semicolon ("…: • 85 % …; • 70 % …") stay one sentence: the list's units are split apart
# (common/units.py), and a model's answer may cite such a run once, at its end.
_SENTENCE_END = re.compile(r"(?<=[.!?;…])\s+(?=[\"«„“‘'(]?[^\W\d_]|\d{1,3}[.)]\s)|(?<=[.!?…])\s+(?=[-•]\s)")
_ITEM_NUMBER = re.compile(r"\d{1,3}[.)]")
# A blank line, or a line break before a bullet: a bulleted item ends at its line's end even without punctuation
# ("- EU contribution (85 %): EUR 340 000" then "- National co-financing: …"). Not before a number, which opens
# a line of wrapped text as often as an item ("… referred to in paragraph" / "1. Where …").
_LINE_BULLET = r"[-•*][ \t]"
_PARAGRAPH_OR_ITEM = re.compile(rf"\n\s*\n|\n(?=[ \t]*{_LINE_BULLET})")
_OPENS_WITH_BULLET = re.compile(_LINE_BULLET)
_WORD_EDGE = "()[]\"'«»„“”‘’,:;"


@lru_cache(maxsize=1)
def sentence_data() -> dict[str, dict[str, list[str]]]:
    """Per language: abbreviations and month names, as written in common/data/sentences.yaml."""
    return yaml.safe_load(_DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    """Every language's abbreviations, casefolded without the final period ("z. B." gives "z" and "b")."""
    return frozenset(part.rstrip(".").casefold() for entry in sentence_data().values()
                     for abbreviation in entry["abbreviations"] for part in abbreviation.split())


@lru_cache(maxsize=1)
def _months() -> frozenset[str]:
    return frozenset(month.casefold() for entry in sentence_data().values() for month in entry["months"])


def _ends_sentence(before: str, after: str) -> bool:
    """Whether the punctuation that ends `before` ends a sentence, `after` being the text that follows."""
    if not before.endswith("."):
        return True
    words = before.split()
    # "4." opening a list item, or after a colon ("Steps: 1. Read …"), is the item's label, not a sentence.
    if _ITEM_NUMBER.fullmatch(words[-1]) and (len(words) == 1 or words[-2].endswith(":")):
        return False
    last = before[:-1].split()[-1].strip(_WORD_EDGE) if before[:-1].split() else ""
    folded = last.casefold()
    if folded in _abbreviations():
        return False
    if len(last) == 1 and last.isalpha():  # an initial, or one letter of "z. B.", "т. е."
        return False
    following = after.split(maxsplit=1)[0].strip(_WORD_EDGE).rstrip(".,;:") if after.split() else ""
    # An ordinal: a day before a month ("15. března", "1. Januar", "2026. március") or any number before a
    # lower-case word ("3. cikk", "31. detsember").
    if last.isdigit() and (following.casefold() in _months() or following[:1].islower()):
        return False
    return True


# Punctuation a sentence may end with, and what may close it after that ("…85 %).", "… «Europe».").
_SENTENCE_FINAL = frozenset(".!?…;:")
_CLOSERS = "\"'»”’)]"


def ends_with_punctuation(text: str, final: frozenset[str] | str = _SENTENCE_FINAL) -> bool:
    """Whether `text` ends in one of `final` (a sentence's end, by default), closing quotes and brackets aside."""
    return text.rstrip().rstrip(_CLOSERS)[-1:] in final if text.strip() else False


def opens_with_bullet(sentence: str) -> bool:
    """Whether a sentence is a bulleted item, which split_sentences ends at a line break before it."""
    return _OPENS_WITH_BULLET.match(sentence) is not None


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, whitespace normalised; a blank line, or a new line opening a list item, always ends
    one."""
    sentences: list[str] = []
    for paragraph in _PARAGRAPH_OR_ITEM.split(text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            if not _ends_sentence(paragraph[start : match.start()], paragraph[match.end():match.end() + 40]):
                continue
            sentences.append(paragraph[start : match.start()].strip())
            start = match.end()
        sentences.append(paragraph[start:].strip())
    return [s for s in sentences if s]


def heading(line: str, next_line: str | None) -> tuple[int, str, bool] | None:
    """(level, heading text, consumed next line) when `line` is a heading."""
    markdown = _MARKDOWN.match(line)
    if markdown:
        return len(markdown.group(1)), markdown.group(2).strip(), False
    if len(line) > MAX_HEADING:
        return None
    article = _ARTICLE.match(line)
    if article:
        title = article.group("title")
        if title is None:
            # Official Journal layout: "Article 63" on one line, its title ("Éligibilité") on the next.
            if next_line and len(next_line) <= 90 and next_line[:1].isupper() and not next_line.endswith((".", ";", ",", ":")) \
                    and heading(next_line, None) is None:  # "Article 1" then "Article 2": two headings, not a title
                return ARTICLE_LEVEL, f"{line} {next_line}", True
            return ARTICLE_LEVEL, line, False
        if title[:1].isupper() and not title.endswith((",", ";")) and len(title) <= 100:
            return ARTICLE_LEVEL, line, False
        return None
    if _DIVISION.match(line):
        return DIVISION_LEVEL, line, False
    return None


def is_heading_line(line: str) -> bool:
    return heading(line, None) is not None
