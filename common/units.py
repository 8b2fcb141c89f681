"""Quotable units of a chunk: sentences, list items with the sentence introducing them, table rows.

The same units are embedded at ingest (stored with the chunk as a multivector, so that a question's best-matching
sentence lifts its chunk) and quoted by the extractive composer. Both sides call `quotable_units`, and each stored
vector is keyed by `unit_key` of the text it was embedded from, so the composer uses a stored vector only for the
unit it belongs to, embedded as it would embed it, even when this code changes between ingest and answering.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from common.text import ends_with_punctuation, is_heading_line, split_sentences

MIN_UNIT_CHARS = 20
MAX_QUOTE_CHARS = 900
# A quotable unit keeps this many letters and words once addresses, link and image syntax are taken out:
# "“ (en)" (a sentence emptied by link removal) and a bare EUR-Lex address are hollow.
_MIN_SUBSTANCE_LETTERS = 12
_MIN_SUBSTANCE_WORDS = 3
# A list of links ("Programs: http://… Glossary: http://…") is mostly addresses: it points, it does not answer.
_MIN_LINK_LIST_ADDRESSES = 2
# A blank form's field placeholders (`<type="Cu" input="M">`, left in an act's annex templates): a row of them is a
# form to fill in, which states no rule.
_FORM_FIELD = re.compile(r"<[^\W\d_][^<>\n]{0,100}=[^<>\n]{0,100}>")
_MIN_FORM_FIELDS = 3
# A list of links whose addresses a page printed to PDF lost repeats its link label ("… | meer info • … | meer
# info"): common/data/link_labels.yaml.
_LINK_LABELS = Path(__file__).with_name("data") / "link_labels.yaml"
_MIN_LINK_LABELS = 2
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_ADDRESS = re.compile(r"(?:\bhttps?:)?//\S+|\bwww\.\S+|\b\S+@\S+\.\w+", re.IGNORECASE)
# Running headers and footers of printed documents: "Page 3 of 12", "Official Journal of the European Union",
# "L 231/159", "EN 30.6.2021"; a line made of these alone is no answer.
_PAGE_FURNITURE = re.compile(
    r"(?:page|pagina|página|seite|strana|strona|стр\.?|σελίδα|lk|lehekülg|oldal|sivu|sida|side)\s*\d+"
    r"(?:\s*(?:of|/|de|von|из|από|z|sur|van)\s*\d+)?"
    r"|official journal of the european union|journal officiel de l.union européenne|amtsblatt der europäischen union"
    r"|publicatieblad van de europese unie|euroopa liidu teataja|официален вестник на европейския съюз"
    r"|\b[lc]\s?\d{1,3}/\d{1,4}\b|\b[a-z]{2}\s\d{1,2}\.\d{1,2}\.\d{4}\b",
    re.IGNORECASE,
)
# An act's clause naming its own short title (common/data/citation_titles.yaml) is short; a longer sentence with
# the same words states something else as well.
_CITATION_TITLES = Path(__file__).with_name("data") / "citation_titles.yaml"
_MAX_CITATION_TITLE_CHARS = 200
# A guide's note that it is not legal advice (common/data/disclaimers.yaml) is short; a longer sentence with the
# same words states something else as well.
_DISCLAIMERS = Path(__file__).with_name("data") / "disclaimers.yaml"
_MAX_DISCLAIMER_CHARS = 200
# Where an enumeration continues: a bullet anywhere, or a "-" / "a)" / "(ii)" label after ":", ";" or ",".
# Not the en dash, which also punctuates inside items ("3 % – for ...").
_LIST_ITEM = re.compile(r"\s+(?=•\s)|(?<=[:;,])\s+(?=(?:-|\(?[a-z0-9]{1,3}\)|[ivx]{1,4}\))\s)")
_ITEM_START = re.compile(r"(?:[-•]|\(?[a-z0-9]{1,3}\)|[ivx]{1,4}\))\s")
# A heading's number: "2 –", "IV –", "2.1" (a bare "2." opens a paragraph of an act as often as a heading).
_SECTION_NUMBER = re.compile(r"^(?:(?:\d{1,2}(?:\.\d{1,2})*|[IVX]{1,4})\.?\s*[–—-]\s+|\d{1,2}(?:\.\d{1,2})+\.?\s+)")
# A title line (is_title_line) has this many words at most.
_MAX_TITLE_WORDS = 12
_YEAR_OR_PERIOD = re.compile(r"(?:19|20)\d\d(?:[–-](?:19|20)?\d\d)?")
# An inline Markdown table: pipe-delimited cells including a |---| separator row.
_TABLE = re.compile(r"\|(?:[^|\n]*\|)*?\s*:?-{3,}:?\s*\|(?:[^|\n]*\|)+")


@dataclass
class Unit:
    text: str  # what is quoted
    context: str  # what is scored: the text, with the sentence introducing it when it is a list item
    intro: int | None  # position of the unit introducing this list item or table row
    position: int  # within its chunk
    offset: int  # where in the chunk's text the unit starts (for its page)
    # Not a list item, yet it opens in lower case: the chunk, or the sentence splitter, cut into a sentence.
    continues: bool = False


def quotable_units(text: str, section: str | None) -> list[Unit]:
    """Quotable pieces of a chunk: sentences, list items and table rows, its heading line dropped.

    A list item or table row ("85 % for less developed regions") means little alone, so it is scored together
    with the sentence that introduces it ("the rate ... may not exceed:") while only the item is quoted.
    """
    lines = text.split("\n")
    cursor = 0  # where in `text` the sentence being read starts
    if section and lines and section in lines[0]:
        cursor = len(lines[0]) + 1
        lines = lines[1:]
    units: list[Unit] = []
    intro: int | None = None
    # When the introducing unit is itself an item ("c) VAT, except:" then "i) ...", "ii) ..."), the list it is an
    # item of: an item labelled like the introducing one ("d) ...") goes back to that outer list.
    outer: int | None = None
    nested = False
    for sentence in split_sentences("\n".join(lines)):
        for piece, is_item in _pieces(sentence):
            offset, cursor = _locate(text, piece, cursor)
            if (len(piece) < MIN_UNIT_CHARS or is_heading_line(piece) or is_hollow(piece) or names_its_act(piece)
                    or is_disclaimer(piece)):
                continue
            if len(piece) > MAX_QUOTE_CHARS:
                piece = piece[:MAX_QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
            is_item = is_item or bool(_ITEM_START.match(piece))
            if is_item and nested and intro is not None and _same_label_kind(piece, units[intro].text):
                intro, nested = outer, False
            introduced_by = intro if is_item else None
            context = f"{units[intro].text} {piece}" if introduced_by is not None else piece
            continues = not is_item and piece[0].islower()
            units.append(Unit(piece, context, introduced_by, len(units), offset, continues))
            if not is_item:
                intro, nested = (len(units) - 1 if piece.endswith(":") else None), False
            elif piece.endswith(":"):
                intro, outer, nested = len(units) - 1, introduced_by, True
    return units


def _label_kind(text: str, under_letter: bool = False) -> str | None:
    """'digit', 'letter', 'roman' or 'bullet' for an item's label; "i)" under a lettered item is a roman one."""
    found = _ITEM_START.match(text)
    if not found:
        return None
    label = found.group(0).strip().strip("()")
    if label in ("-", "•"):
        return "bullet"
    if label.isdigit():
        return "digit"
    if re.fullmatch(r"[ivx]+", label) and (len(label) > 1 or under_letter):
        return "roman"
    return "letter"


def _same_label_kind(item: str, introducing: str) -> bool:
    kind = _label_kind(introducing)
    return kind is not None and _label_kind(item, under_letter=kind == "letter") == kind


def _locate(text: str, piece: str, cursor: int) -> tuple[int, int]:
    """Where `piece` starts in `text`, searching from `cursor`, and where the next search starts. The splitter
    normalises whitespace, so the piece's words are matched across any whitespace: a list item's "-" is found
    where the item stands, not at the first hyphen after the previous piece. A piece rebuilt from its text (a
    table row) is placed by its first word, and the next search starts right after that word."""
    words = piece.split()
    if not words:
        return cursor, cursor
    found = text.find(piece, cursor)
    if found >= 0 and not text[cursor:found].strip():
        # As written, with only whitespace before it: no earlier match can exist, and no pattern needs building.
        return found, found + len(piece)
    match = re.compile(r"\s+".join(map(re.escape, words))).search(text, cursor)
    if match:
        return match.start(), match.end()
    found = text.find(words[0], cursor)
    return (found, found + len(words[0])) if found >= 0 else (cursor, cursor)


def unit_passage(title: str, section: str | None, context: str) -> str:
    """What is embedded for a unit at ingest: the unit in its document and section, as a chunk is embedded with
    its title; a sentence alone ("The rate shall not exceed 85 %.") does not say which act or article it is."""
    return "\n".join(part for part in (title, section or "", context) if part)


def unit_key(text: str) -> str:
    """Names the exact text a stored unit vector was embedded from; stored in the payload in the order of the
    vectors. The composer looks its units up by `unit_key(unit.context)`, so it takes a stored vector only when it
    is the very vector it would compute itself (units embedded alone, HELPDESK_CHUNK_UNIT_CONTEXT=false); units
    embedded with title and section serve search only, and the composer embeds its units then."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def without_addresses(text: str) -> str:
    """The text with its web and mail addresses taken out: an address reads alike to any question."""
    return _ADDRESS.sub(" ", text)


def is_hollow(piece: str) -> bool:
    """Nothing to read once addresses, link and image syntax, page headers and footers and table rules are gone:
    '“ (en)', a bare EUR-Lex address, 'Official Journal of the European Union L 231/159', a table header row; or
    a list of links, half of its characters addresses or its link label repeated ("meer info"); a row of a blank
    form's field placeholders."""
    if piece.startswith("|") and piece.endswith("|") and not any(c.isdigit() for c in piece):
        return True  # a table's header row on its own
    addresses = _ADDRESS.findall(piece)
    if len(addresses) >= _MIN_LINK_LIST_ADDRESSES and 2 * sum(map(len, addresses)) >= len(piece):
        return True
    if len(_FORM_FIELD.findall(piece)) >= _MIN_FORM_FIELDS:
        return True
    if len(_link_label_pattern().findall(piece.casefold().replace("’", "'"))) >= _MIN_LINK_LABELS:
        return True
    substance = _PAGE_FURNITURE.sub(" ", _ADDRESS.sub(" ", _LINK.sub(r"\1", _IMAGE.sub(" ", piece))))
    words = [w for w in substance.split() if sum(c.isalpha() for c in w) >= 2]
    return sum(c.isalpha() for c in substance) < _MIN_SUBSTANCE_LETTERS or len(words) < _MIN_SUBSTANCE_WORDS


# A table of contents' line ends in a dot leader and a page number ("Les outils clés……………Page 6", "2.1 Costs .... 12").
_CONTENTS_LINE = re.compile(r"[.…]{4,}\s*(?:[^\W\d_]{1,8}\.?\s*)?\d{1,4}\b")
_MIN_CONTENTS_LINES = 2


def is_table_of_contents(text: str) -> bool:
    """Whether a chunk is (part of) a printed table of contents: two lines or more ending in a dot leader and a page
    number. Its entries, and the bulleted sub-entries between them ("- Les outils clés"), name topics and answer
    nothing."""
    return len(_CONTENTS_LINE.findall(text)) >= _MIN_CONTENTS_LINES


def is_title_line(piece: str) -> bool:
    """A heading, title or signature line of a printed text: a few words, capitalised, with no sentence
    punctuation, no label or key-value ("Rate: 85 %") and no number but a year or period ("Section II Règles en
    matière de paiements", "Programme Centre-Val de Loire FEDER-FSE+ 2021–2027"), after its own number if it has
    one ("2 – LES BORNES CHRONOLOGIQUES D'UN PROJET"). It names a topic, so it reads
    alike to every question on it, and it states nothing. It stays a unit (its vector helps search find the
    section); it is not quoted."""
    if _ITEM_START.match(piece):
        return False
    piece = _SECTION_NUMBER.sub("", piece, count=1)  # "2 – LES BORNES CHRONOLOGIQUES", "2.1 Eligible costs"
    words = piece.split()
    if not words or len(words) > _MAX_TITLE_WORDS or ":" in piece or ";" in piece or ends_with_punctuation(
            piece, ".!?…,"):
        return False
    first = next((c for c in piece if c.isalnum()), "")
    if not first.isupper():
        return False  # a lower-case line is a sentence's tail cut off, not a title
    return all(_YEAR_OR_PERIOD.fullmatch(w.strip("()[]«»*+,")) for w in words if any(c.isdigit() for c in w))


def _per_language(path: Path) -> dict[str, tuple[str, ...]]:
    """A data file of phrases per served language (an empty list where a language has none)."""
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(table, dict) or not all(isinstance(said, list) or said is None for said in table.values()):
        raise ValueError(f"{path}: needs a mapping of languages to lists of phrases")
    return {language: tuple(said or ()) for language, said in table.items()}


def _short_and_saying(piece: str, phrases: dict[str, tuple[str, ...]], max_chars: int) -> bool:
    """A piece of at most `max_chars` holding one of `phrases` (every language's: a chunk's units are cut before
    anything asks which language they are in; the phrases are particular enough)."""
    if len(piece) > max_chars:
        return False
    folded = piece.casefold()
    return any(phrase in folded for said in phrases.values() for phrase in said)


@lru_cache(maxsize=1)
def link_labels() -> dict[str, tuple[str, ...]]:
    """Per served language, what a web page writes on a link to more ("more info", "read more")."""
    return _per_language(_LINK_LABELS)


@lru_cache(maxsize=1)
def _link_label_pattern() -> re.Pattern[str]:
    labels = sorted({label.casefold() for labels in link_labels().values() for label in labels}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(label) for label in labels) + r")(?!\w)")


@lru_cache(maxsize=1)
def citation_title_phrases() -> dict[str, tuple[str, ...]]:
    """Per served language, the words with which an act states its short title."""
    return _per_language(_CITATION_TITLES)


def names_its_act(piece: str) -> bool:
    """'Deze regeling wordt aangehaald als: Subsidieregeling ESF 2014–2020.': the act's short title, which answers
    no question however much it shares with one."""
    return _short_and_saying(piece, citation_title_phrases(), _MAX_CITATION_TITLE_CHARS)


@lru_cache(maxsize=1)
def disclaimer_phrases() -> dict[str, tuple[str, ...]]:
    """Per served language, the words with which a guide says it is not legal advice."""
    return _per_language(_DISCLAIMERS)


def is_disclaimer(piece: str) -> bool:
    """'Sample guide written for the Funding Helpdesk demo – not legal advice.': a note about the document, which
    answers no question on funding however close it reads to one (a short question's vector is near any short
    line)."""
    return _short_and_saying(piece, disclaimer_phrases(), _MAX_DISCLAIMER_CHARS)


def _pieces(sentence: str) -> list[tuple[str, bool]]:
    """(text, is a table row) pieces: Markdown tables become one 'header: cell; ...' row each."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for table in _TABLE.finditer(sentence):
        pieces += _split_items(sentence[position : table.start()])
        pieces += [(row, True) for row in _table_rows(table.group(0))]
        position = table.end()
    pieces += _split_items(sentence[position:])
    return pieces


def _split_items(text: str) -> list[tuple[str, bool]]:
    text = text.strip()
    if not text:
        return []
    parts = _LIST_ITEM.split(text)
    return [(part.strip(), False) for part in parts if part.strip()]


def _table_rows(table: str) -> list[str]:
    rows = [[cell.strip() for cell in row.split("|")] for row in re.split(r"\|\s+\|", table.strip().strip("|"))]
    rows = [row for row in rows if not all(re.fullmatch(r":?-{3,}:?", cell) for cell in row)]
    if len(rows) < 2:
        return []
    header, body = rows[0], rows[1:]
    return ["; ".join(f"{h}: {c}" if h else c for h, c in zip(header, row) if c) for row in body]
