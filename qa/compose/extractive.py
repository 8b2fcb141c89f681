"""Offline composer: quotes the sentences that best answer the question, with [n] markers, no LLM.

Sentences from the top passages are scored against the question with the same embedder as retrieval, plus
word overlap (which favours sentences in the asker's language) and, when the question asks for a kind of
value (a rate, an amount, a date, a duration, a count: `qa.compose.answer_types`), a bonus for sentences that
carry one. The best sentence is quoted verbatim; a second or third only when it adds a distinct value of the
asked kind (or, for a question without a value type, by MMR within a small score window). When the quote
carries the asked value, the answer opens with it restated in the asker's language (`qa.compose.key_fact`).
Sources in another language are quoted with that language named, and the surrounding text (lead-in,
language note, pointer to the managing authority) is in the asker's language. Each citation gives the page of
its quoted sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from common.embedder import Embedder
from common.schema import Citation, SearchHit
from common.settings import AnswerSettings
from common.sparse import tokenize
from ingest.chunker import is_heading_line, split_sentences
from qa.compose.answer_types import VALUE_TYPES, TypedValue, detect_answer_type, find_values
from qa.compose.base import ComposeRequest, Composition
from qa.compose.key_fact import key_fact_line
from qa.templates import language_name, phrase

_MIN_UNIT_CHARS = 20
# A quotable unit needs this many letters once addresses and link syntax are taken out ("“ (en)" is hollow).
_MIN_SUBSTANCE_LETTERS = 15
_MIN_SUBSTANCE_WORDS = 3
# Added to a unit's score when it carries a value of the asked kind: about twice the score window, so such a
# sentence leads unless the question clearly points elsewhere.
_TYPED_BONUS = 0.06
# Sentences of the best sentence's passage within this many score windows of it may join it.
_SAME_PASSAGE_MARGIN_FACTOR = 2.0
# Subtracted from a unit's score per rank of its passage.
_RANK_PENALTY = 0.01
# A typed question quotes at most this many sentences (the best and those adding a distinct value).
_MAX_TYPED_QUOTES = 3
# Otherwise: the best sentence and at most one more from the same passage.
_MAX_UNTYPED_QUOTES = 2
# "How many hours ...?" is answered by "1 720 hours": a count question takes a counted duration too.
_ANSWERED_BY = {"rate": ("rate",), "amount": ("amount",), "date": ("date",), "duration": ("duration",),
                "count": ("count", "duration")}
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_ADDRESS = re.compile(r"(?:\bhttps?:)?//\S+|\bwww\.\S+", re.IGNORECASE)
_MAX_QUOTE_CHARS = 900
_MAX_LIST_ITEMS = 8
# Where an enumeration continues: a bullet anywhere, or a "-" / "a)" / "(ii)" label after ":", ";", "," or ".".
# Not the en dash, which also punctuates inside items ("3 % – for ...").
_LIST_ITEM = re.compile(r"\s+(?=•\s)|(?<=[:;,.])\s+(?=(?:-|\(?[a-z0-9]{1,3}\)|[ivx]{1,4}\))\s)")
_ITEM_START = re.compile(r"(?:[-•]|\(?[a-z0-9]{1,3}\)|[ivx]{1,4}\))\s")
_BULLET = re.compile(r"^[-•]\s+")
# An inline Markdown table: pipe-delimited cells including a |---| separator row.
_TABLE = re.compile(r"\|(?:[^|\n]*\|)*?\s*:?-{3,}:?\s*\|(?:[^|\n]*\|)+")


@dataclass
class _Unit:
    text: str  # what is quoted
    context: str  # what is scored: the text, with the sentence introducing it when it is a list item
    hit_rank: int
    intro: int | None  # position of the unit introducing this list item or table row
    position: int  # within its chunk
    language: str
    page: int | None = None  # the page the unit stands on
    values: list[TypedValue] | None = None

    def values_of(self, kind: str) -> list[TypedValue]:
        if self.values is None:
            self.values = find_values(self.text, self.language)
        return [v for v in self.values if v.kind in _ANSWERED_BY[kind]]


class ExtractiveComposer:
    name = "extractive"

    def __init__(self, embedder: Embedder, settings: AnswerSettings) -> None:
        self.embedder = embedder
        self.settings = settings

    def compose(self, request: ComposeRequest) -> Composition:
        units = [u for rank, hit in enumerate(request.hits[: self.settings.passages]) for u in _units(hit, rank)]
        if not units:
            return Composition("", answerable=False)
        vectors = _normalise(self.embedder.embed_passages([u.context for u in units]))
        relevance = self._relevance(request.question, request.language, units, vectors,
                                    self._query_vector(request))
        if request.latest_turn and request.latest_turn != request.question:
            # A follow-up ("And for transition regions?") decides which sentence answers; the carried
            # context decides which passages were fetched.
            latest = _normalise(self.embedder.embed_queries([request.latest_turn]))[0]
            relevance = (relevance + self._relevance(request.latest_turn, request.language, units, vectors, latest)) / 2
        # The passage's own rank speaks for its sentences: retrieval judged the whole passage, and a lower
        # passage's sentence that merely resembles the question should not outrank the top passage's answer.
        relevance = relevance - _RANK_PENALTY * np.array([u.hit_rank for u in units])
        asked = _asked_type(request)
        if asked in VALUE_TYPES:
            # An amount the question itself states ("a project of 120 000 euro") is no answer to it (a rate it
            # names may well be: "can we use the 20 % flat rate?").
            known = {str(v.value) for v in find_values(request.latest_turn or request.question, request.language)
                     if v.kind == "amount"}
            for unit in units:
                unit.values = [v for v in find_values(unit.text, unit.language)
                               if v.kind != "amount" or str(v.value) not in known]
            relevance = relevance + _TYPED_BONUS * np.array([bool(u.values_of(asked)) for u in units])
        best = int(np.argmax(relevance))
        # Only the best sentence's own passage may add to it: other passages merely resemble the question.
        same_passage = np.array([u.hit_rank == units[best].hit_rank for u in units])
        passage_relevance = np.where(same_passage, relevance, -np.inf)
        margin = self.settings.sentence_margin * _SAME_PASSAGE_MARGIN_FACTOR
        limit = min(_MAX_UNTYPED_QUOTES, self.settings.max_sentences)
        if asked in VALUE_TYPES and units[best].values_of(asked):
            chosen = _distinct_values(units, vectors, passage_relevance, asked, margin,
                                      min(_MAX_TYPED_QUOTES, self.settings.max_sentences))
            if len(chosen) == 1 and limit > 1:  # no other value to add: the passage's next best sentence may
                chosen = _mmr(vectors, passage_relevance, limit, self.settings.mmr_lambda, margin)
        else:
            chosen = _mmr(vectors, passage_relevance, limit, self.settings.mmr_lambda, margin)
        key_values = self._key_values(request, units, chosen, asked) if asked in VALUE_TYPES else []
        chosen += _items_of_chosen_intros(units, chosen)
        chosen.sort(key=lambda i: (units[i].hit_rank, units[i].position))
        composition = self._write(request, [units[i] for i in chosen], float(relevance[chosen].max()), key_values,
                                  asked)
        if asked:
            composition.diagnostics["answer_type"] = asked
        return composition

    def _key_values(self, request: ComposeRequest, units: list[_Unit], chosen: list[int],
                    asked: str) -> list[tuple[TypedValue, int]]:
        """(value, hit rank) to restate: the asked-for value of each chosen unit, the best unit's first.

        A sentence with several values of the kind ("85 % for less developed, 70 % for transition regions")
        gives the one whose clause is most like the question; when no clause stands out, all of them.
        """
        picked: list[tuple[TypedValue, int]] = []
        seen: set[str] = set()
        for index in chosen:
            unit = units[index]
            values = unit.values_of(asked)
            if len(values) > 1:
                values = self._closest_values(request, unit, values)
            for value in values:
                key = str(value.value)
                if key not in seen:
                    seen.add(key)
                    picked.append((value, unit.hit_rank))
        return picked[:_MAX_TYPED_QUOTES]

    def _closest_values(self, request: ComposeRequest, unit: _Unit, values: list[TypedValue]) -> list[TypedValue]:
        clauses = []
        for i, value in enumerate(values):
            start = values[i - 1].end if i else 0
            end = values[i + 1].start if i + 1 < len(values) else len(unit.text)
            clauses.append(unit.text[start:end])
        vectors = _normalise(self.embedder.embed_passages(clauses))
        scores = vectors @ self._query_vector(request)
        order = np.argsort(-scores)
        if scores[order[0]] - scores[order[1]] >= self.settings.sentence_margin:
            return [values[int(order[0])]]
        return values[:_MAX_TYPED_QUOTES]

    def _relevance(self, question: str, language: str, units: list[_Unit], vectors: np.ndarray,
                   query: np.ndarray) -> np.ndarray:
        """Dense similarity plus word overlap: a small embedder ranks '70 % for transition regions that were
        less developed' level with '85 % for less developed regions'; shared words break the tie."""
        asked = _content_tokens(question, language)
        overlap = np.array([_jaccard(asked, _content_tokens(u.text, u.language)) for u in units])
        return vectors @ query + self.settings.lexical_weight * overlap

    def _query_vector(self, request: ComposeRequest) -> np.ndarray:
        if request.query_vector is not None:
            return _normalise(np.asarray([request.query_vector], dtype=np.float32))[0]
        return _normalise(self.embedder.embed_queries([request.question]))[0]

    def _write(self, request: ComposeRequest, picked: list[_Unit], best: float,
               key_values: list[tuple[TypedValue, int]], asked: str | None) -> Composition:
        lang = request.language
        numbers: dict[int, int] = {}
        for unit in picked:
            numbers.setdefault(unit.hit_rank, len(numbers) + 1)
        foreign = sorted({u.language for u in picked if u.language != lang})
        lines = []
        if key_values:
            lines.append(key_fact_line([(value, f"[{numbers[rank]}]") for value, rank in key_values], lang, asked))
        lines.append(phrase("lead", lang))
        if foreign:
            names = ", ".join(language_name(code, lang) for code in foreign)
            lines.append(phrase("other_language", lang, languages=names))
        for unit in picked:
            marker = f"[{numbers[unit.hit_rank]}]"
            quote = _BULLET.sub("", unit.text)
            if unit.language == lang:
                lines.append(f"- {_with_marker(quote, marker)}")
            else:
                lines.append(f"- “{quote}” ({unit.language}) {marker}")
        lines.append(phrase("contact", lang))
        citations = []
        for rank, n in numbers.items():
            citation = Citation.from_hit(n, request.hits[rank])
            pages = [u.page for u in picked if u.hit_rank == rank and u.page is not None]
            if pages:  # the pages of the quoted sentences, not the chunk's whole span
                citation.page_start, citation.page_end = min(pages), max(pages)
            citations.append(citation)
        return Composition("\n".join(lines), answerable=True, citations=citations,
                           diagnostics={"best_sentence_score": round(best, 4)})


def _units(hit: SearchHit, rank: int) -> list[_Unit]:
    """Quotable pieces of a chunk: sentences, list items and table rows, its heading line dropped.

    A list item or table row ("85 % for less developed regions") means little alone, so it is scored together
    with the sentence that introduces it ("the rate ... may not exceed:") while only the item is quoted.
    """
    lines = hit.text.split("\n")
    skipped = 0
    if hit.section and lines and hit.section in lines[0]:
        skipped = len(lines[0]) + 1
        lines = lines[1:]
    units: list[_Unit] = []
    intro: int | None = None
    text = hit.text
    cursor = skipped
    for sentence in split_sentences("\n".join(lines)):
        found = text.find(sentence[:60], cursor)
        if found < 0:
            found = text.find(sentence.split()[0], cursor)
        if found >= 0:
            cursor = found
        page = _page_at(hit, cursor)
        for piece, is_item in _pieces(sentence):
            if len(piece) < _MIN_UNIT_CHARS or is_heading_line(piece) or _is_hollow(piece):
                continue
            if len(piece) > _MAX_QUOTE_CHARS:
                piece = piece[:_MAX_QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
            is_item = is_item or bool(_ITEM_START.match(piece))
            introduced_by = intro if is_item else None
            context = f"{units[intro].text} {piece}" if introduced_by is not None else piece
            units.append(_Unit(piece, context, rank, introduced_by, len(units), hit.language, page))
            if not is_item:
                intro = len(units) - 1 if piece.endswith(":") else None
    return units


def _asked_type(request: ComposeRequest) -> str | None:
    """A follow-up as typed says what it asks for ("And until when?"); else the standalone question."""
    if request.latest_turn:
        asked = detect_answer_type(request.latest_turn, request.language)
        if asked:
            return asked
    return detect_answer_type(request.question, request.language)


def _page_at(hit: SearchHit, offset: int) -> int | None:
    """The page where `offset` of the chunk's text stands; the chunk's first page for payloads without breaks."""
    page = hit.page_start
    for start, number in hit.page_breaks or []:
        if start > offset:
            break
        page = number
    return page


def _is_hollow(piece: str) -> bool:
    """Nothing left to read once addresses and link syntax are gone: '“ (en)', a bare EUR-Lex address, '| --- |'."""
    substance = _ADDRESS.sub(" ", _LINK.sub(r"\1", _IMAGE.sub(" ", piece)))
    words = [w for w in substance.split() if any(c.isalpha() for c in w)]
    return sum(c.isalpha() for c in substance) < _MIN_SUBSTANCE_LETTERS or len(words) < _MIN_SUBSTANCE_WORDS


def _distinct_values(units: list[_Unit], vectors: np.ndarray, relevance: np.ndarray, asked: str,
                     margin: float, limit: int) -> list[int]:
    """The best unit, then (up to the cap) units within the score window that add a value of the asked kind
    not quoted yet, and that do not repeat a chosen unit in other words."""
    order = [int(i) for i in np.argsort(-relevance)]
    best = order[0]
    chosen = [best]
    seen = {str(v.value) for v in units[best].values_of(asked)}
    for i in order[1:]:
        if len(chosen) >= limit or relevance[i] < relevance[best] - margin:
            break
        new = {str(v.value) for v in units[i].values_of(asked)} - seen
        if new and max(float(vectors[i] @ vectors[j]) for j in chosen) < 0.95:
            chosen.append(i)
            seen |= new
    return chosen


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


def _items_of_chosen_intros(units: list[_Unit], chosen: list[int]) -> list[int]:
    """A quoted 'may be covered by one of these flat rates:' needs its list, or it answers nothing."""
    items: list[int] = []
    for index in chosen:
        if units[index].text.endswith(":"):
            intro = units[index]
            items += [j for j, u in enumerate(units) if u.hit_rank == intro.hit_rank and u.intro == intro.position
                      and j not in chosen][:_MAX_LIST_ITEMS]
    return items


def _content_tokens(text: str, language: str) -> set[str]:
    """Stemmed words of three or more letters, and numbers; short function words carry no subject."""
    return {t for t in tokenize(text, language) if len(t) > 2 or t.isdigit()}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _mmr(vectors: np.ndarray, relevance: np.ndarray, limit: int, trade_off: float, margin: float) -> list[int]:
    """Maximal marginal relevance among the units within `margin` of the best one."""
    best = float(relevance.max())
    candidates = [i for i in np.argsort(-relevance) if relevance[i] >= best - margin]
    chosen: list[int] = []
    while candidates and len(chosen) < limit:
        def gain(i: int) -> float:
            redundancy = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
            return trade_off * float(relevance[i]) - (1 - trade_off) * redundancy
        pick = max(candidates, key=gain)
        chosen.append(int(pick))
        candidates.remove(pick)
    return chosen


def _with_marker(sentence: str, marker: str) -> str:
    """'Rates are 85 %.' -> 'Rates are 85 % [1].'"""
    stripped = sentence.rstrip()
    if stripped and stripped[-1] in ".;:!?…":
        return f"{stripped[:-1].rstrip()} {marker}{'.' if stripped[-1] == ';' else stripped[-1]}"
    return f"{stripped} {marker}"
