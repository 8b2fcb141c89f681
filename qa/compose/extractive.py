"""Offline composer: quotes the sentences that best answer the question, with [n] markers, no LLM.

Sentences from the top passages are scored against the question with the same embedder as retrieval,
picked with MMR so that the answer does not repeat itself, and kept verbatim. Word overlap with the question
favours sentences in the asker's language; when the best ones are in another language they are quoted with
that language named, and the surrounding text (lead-in, language note, pointer to the managing authority) is in the asker's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from common.anchors import article_anchors
from common.countries import question_countries
from common.embedder import Embedder
from common.schema import Citation, SearchHit
from common.settings import AnswerSettings
from common.units import is_table_of_contents, is_title_line, quotable_units, unit_key
from common.answer_types import (VALUE_TYPES, TypedValue, answered_as, asked_date_role, asked_duration_unit,
                                 date_bound, date_span, detect_answer_types, find_values, is_act_date,
                                 names_an_average, of_an_average, value_bound)
from qa.compose.base import ComposeRequest, Composition
from qa.compose.excerpt import ELLIPSIS, clauses, excerpt_span, render
from qa.compose.key_fact import in_worked_example, key_fact_line
from qa.glossary import (GlossaryError, broad_concepts, concepts_among, concepts_in, contrast_groups, contrasting,
                         contrasts)
from qa.overlap import asked_words, content_tokens, jaccard, subject_overlap
from qa.templates import language_name, phrase

# "How many hours ...?" is answered by "1 720 hours": a count question takes a counted duration too.
_ANSWERED_BY = {"rate": ("rate",), "amount": ("amount",), "date": ("date",), "duration": ("duration",),
                "count": ("count", "duration")}
_MAX_LIST_ITEMS = 8
# A list's introducing sentence longer than this is not quoted before its item: it would outweigh the answer.
_MAX_LEAD_IN_CHARS = 200
# The glossary's concepts of a minimum and a maximum (qa/data/glossary), as the bounds of common.answer_types.
_BOUND_OF = {"minimum_amount": "least", "maximum_amount": "most"}
# A long unit without clause boundaries (a flattened table) is cut into pieces of this many words to excerpt it.
_CLAUSE_WORDS = 25
_BULLET = re.compile(r"^[-•]\s+")
_COMPARISON_SIGNS = frozenset("<>≤≥⩽⩾")


@dataclass
class _Unit:
    text: str  # what is quoted
    context: str  # what is scored: the text, with the sentence introducing it when it is a list item
    hit_rank: int
    intro: int | None  # position of the unit introducing this list item or table row
    position: int  # within its chunk
    language: str
    values: list[TypedValue] = field(default_factory=list)  # typed values, those the question states left out
    page: int | None = None  # the page the unit stands on (its excerpt's, once excerpted)
    offset: int = 0  # where in its chunk's text the unit starts
    shown: str | None = None  # what is quoted when only an excerpt is (qa/compose/excerpt.py)
    continues: bool = False  # the unit opens inside a sentence (common/units.py)
    section: str | None = None  # its chunk's heading path
    doc: str = ""  # its document's id
    lead_in: str | None = None  # the sentence introducing this list item, quoted before it (_lead_ins)

    def values_of(self, kind: str) -> list[TypedValue]:
        return [v for v in self.values if v.kind in _ANSWERED_BY[kind]]


class ExtractiveComposer:
    name = "extractive"

    def __init__(self, embedder: Embedder, settings: AnswerSettings) -> None:
        self.embedder = embedder
        self.settings = settings
        unknown = sorted(set(settings.key_fact_named_groups) - set(contrast_groups()))
        if unknown:
            raise GlossaryError(f"HELPDESK_ANSWER_KEY_FACT_NAMED_GROUPS names {', '.join(unknown)}, which "
                                f"qa/data/glossary/contrasts.yaml does not have ({', '.join(contrast_groups())})")

    def compose(self, request: ComposeRequest) -> Composition:
        hits = request.hits[: self.settings.passages]
        units = [u for rank, hit in enumerate(hits) for u in _units(hit, rank)]
        if not units:
            return Composition("", answerable=False)
        vectors, stored = self._unit_vectors(hits, units)
        tokens = [content_tokens(u.text, u.language) for u in units]
        words = self._asked_words(request.question, request.asked_in, units)
        probes = [(self._query_vector(request), words)]
        if request.latest_turn and request.latest_turn != request.question:
            # A follow-up ("And for transition regions?") decides which sentence answers; the carried
            # context decides which passages were fetched.
            latest = _normalise(self.embedder.embed_queries([request.latest_turn]))[0]
            words = self._asked_words(request.latest_turn, request.asked_in, units)
            probes.append((latest, words))
        relevance = sum(self._relevance(w, tokens, vectors, q) for q, w in probes) / len(probes)
        # "Can the regulation allow higher rates?" asks for a yes or a no, which no value states.
        asked = answered_as(_asked_types(request))
        asking = request.latest_turn or request.question
        date_role = asked_date_role(asking, request.asked_in)
        stated = find_values(asking, request.asked_in)
        if asked in VALUE_TYPES:
            # A sentence with a value of the asked type, on the question's subject, answers; one on its topic only
            # ("co-financing rate" for "... for Interreg programmes?") merely resembles it.
            _attach_values(units, stated, date_role, names_an_average(request.question, request.asked_in))
            relevance = (relevance
                         + self.settings.typed_bonus * np.array([bool(u.values_of(asked)) for u in units])
                         + self.settings.subject_weight * subject_overlap(words, tokens))
        if self.settings.contrast_penalty:
            relevance = relevance - self.settings.contrast_penalty * _contrasting(asking, request.asked_in, units)
        if self.settings.passage_rank_penalty:
            relevance = relevance - self.settings.passage_rank_penalty * np.array([u.hit_rank for u in units])
        asked_concepts = frozenset(concepts_in(asking, request.asked_in))
        off_subject = _off_subject(request.hits, units, asked_concepts)
        if self.settings.off_subject_penalty and any(off_subject) and not all(off_subject):
            # A passage naming what the question is about answers it more often than a closer-sounding one that
            # names none of it ("Is VAT eligible?": the list naming VAT, not the flat rates for indirect costs).
            relevance = relevance - self.settings.off_subject_penalty * np.array(off_subject)
        states_figures = any(v.kind in ("rate", "amount") for v in stated)
        if self.settings.worked_example_penalty and not states_figures:
            # A worked example illustrates a rule with made-up figures: it answers a calculation ("a project of
            # 100 000 euro ..."), while any other question is answered by the rule it illustrates.
            relevance = relevance - self.settings.worked_example_penalty * np.array(
                [in_worked_example(u.section) for u in units])
        if self.settings.stated_figure_bonus and states_figures:
            # "A project of 120 000 euro: how much can we get?" is answered by the example computing 120 000 euro,
            # not by a closer-sounding one on 200 000.
            relevance = relevance + self.settings.stated_figure_bonus * _per_unit(_states_any(hits, stated), units)
        countries = question_countries(asking)
        of_asked_country = [bool(countries) and hit.country in countries for hit in hits]
        if self.settings.other_country_penalty and any(of_asked_country):
            relevance = relevance - self.settings.other_country_penalty * (1 - _per_unit(of_asked_country, units))
        if self.settings.asked_article_bonus:
            of_article = _of_asked_article(hits, asking)
            relevance = relevance + self.settings.asked_article_bonus * _per_unit(of_article, units)
        chosen = self._choose(units, vectors, relevance, asked,
                              off_subject if self.settings.further_quote_named_subject else [False] * len(units))
        key_fact = self._key_fact(units, relevance, chosen[0], asked, states_figures, asked_concepts,
                                  asked_duration_unit(asking, request.asked_in),
                                  date_role, off_subject[chosen[0]],
                                  _of_another_country(request.hits[units[chosen[0]].hit_rank], countries))
        chosen += _items_of_chosen_intros(units, chosen)
        _lead_ins(units, chosen)
        for i in chosen:
            restated = key_fact[0].start if key_fact and i == chosen[0] else None
            self._excerpt(units[i], i, request.hits[units[i].hit_rank], probes, asked, restated)
        chosen.sort(key=lambda i: (units[i].hit_rank, units[i].position))
        composition = self._write(request, [units[i] for i in chosen], float(relevance[chosen].max()), key_fact)
        if asked:
            composition.diagnostics["answer_type"] = asked
        composition.diagnostics["stored_unit_vectors"] = f"{stored}/{len(units)}"
        return composition

    def _unit_vectors(self, hits: list[SearchHit], units: list[_Unit]) -> tuple[np.ndarray, int]:
        """Each unit's vector: the one stored with its chunk at ingest when the chunk has it (matched by the key
        of the unit's text, so a unit the ingest did not see is never given another's vector), else embedded now
        (an index built before units were stored, a chunk from elsewhere). Returns the vectors and how many were
        stored ones."""
        stored: list[dict[str, list[float]]] = [
            dict(zip(hit.unit_keys, hit.unit_vectors))
            if hit.unit_keys and hit.unit_vectors and len(hit.unit_keys) == len(hit.unit_vectors) else {}
            for hit in hits]
        vectors: list[np.ndarray | None] = [None] * len(units)
        for i, unit in enumerate(units):
            found = stored[unit.hit_rank].get(unit_key(unit.context))
            if found is not None:
                vectors[i] = np.asarray(found, dtype=np.float32)
        missing = [i for i, vector in enumerate(vectors) if vector is None]
        if missing:
            for i, vector in zip(missing, self.embedder.embed_passages([units[i].context for i in missing])):
                vectors[i] = np.asarray(vector, dtype=np.float32)
        return _normalise(np.stack(vectors)), len(units) - len(missing)

    def _choose(self, units: list[_Unit], vectors: np.ndarray, relevance: np.ndarray, asked: str | None,
                off_subject: list[bool]) -> list[int]:
        """The best unit first; for a question asking for a value, others only when they add a value of the
        asked type that is not quoted yet; otherwise MMR within the score margin, fewer of them, and none from a
        passage the search ranks below the best unit's. A further quote never comes from another passage that does
        not name the question's subject (`off_subject`): it merely resembles the question, another source to check
        for nothing. A value from a passage not cited yet must score close to the best (`value_new_source_penalty`):
        one further below states another rule more often than it answers where the best sentence does not."""
        sources = [u.hit_rank for u in units]
        best = int(np.argmax(relevance))
        relevance = np.where([off and u.hit_rank != units[best].hit_rank for off, u in zip(off_subject, units)],
                             -np.inf, relevance)
        if self.settings.one_passage_per_document:
            # A passage of the best quote's document that the search ranks lower is the quote's neighbour (the next
            # paragraph of the act) more often than a second answer; one it ranks higher may still answer.
            relevance = np.where([u.doc == units[best].doc and u.hit_rank > units[best].hit_rank for u in units],
                                 -np.inf, relevance)
        if asked in VALUE_TYPES and units[best].values_of(asked):
            return _distinct_values(units, vectors, relevance, asked, self.settings.sentence_margin,
                                    min(self.settings.max_typed_quotes, self.settings.max_sentences),
                                    sources,
                                    self.settings.new_source_penalty + self.settings.value_new_source_penalty)
        if self.settings.untyped_quotes_not_below_best:
            # With no value to compare, a sentence of a lower passage is one more source that merely resembles the
            # question; a passage the search ranks higher may still answer where the best sentence does not.
            relevance = np.where([u.hit_rank > units[best].hit_rank for u in units], -np.inf, relevance)
        limit = min(self.settings.max_untyped_quotes, self.settings.max_sentences)
        chosen = _mmr(vectors, relevance, limit, self.settings.mmr_lambda, self.settings.sentence_margin, sources,
                      self.settings.new_source_penalty)
        if asked in VALUE_TYPES and self.settings.value_from_best_passage:
            # The best sentence sets the question's scene ("a project of 400 000 euro in a less developed region")
            # and states no value of the asked type; its passage's sentence that does is the answer.
            stating = [i for i, u in enumerate(units) if u.hit_rank == units[best].hit_rank and u.values_of(asked)]
            if stating:
                answer = max(stating, key=lambda i: float(relevance[i]))
                if answer not in chosen:
                    chosen = [*chosen, answer]
        return chosen

    def _key_fact(self, units: list[_Unit], relevance: np.ndarray, best: int, asked: str | None,
                  question_states_figures: bool, asked_concepts: frozenset[str],
                  asked_unit: str | None, date_role: str | None, off_subject: bool,
                  other_country: bool) -> tuple[TypedValue, int] | None:
        """(value, passage rank) to restate when the best unit carries one value of the asked type and no unit
        scoring near it carries another: several ("85 % ..., 60 % ..., 40 % ...") would need a guess at which one
        the asker means, and a wrong line is worse than none; so is a best unit scoring under `key_fact_min_score`,
        the composer's least sure pick. A question stating figures of its own ("a project of 100 000 euro ...")
        asks for a calculation, which no quote states. A passage ranked above the best unit's that states another
        value of the type is one the search trusts more: no line then (the quotes stay). A question naming one of a
        group in `key_fact_named_groups` ("pre-financing" of the payment kinds) gets a line only from a unit naming
        it: "235 590 eurot projekti kohta" is a grant's maximum, not the pre-financing asked for. A question asking
        "how many years" gets no line from a period in months: "six months" for it is another period's. A value in a
        worked example ("Exemple chiffré": qa/compose/key_fact.py) illustrates a rule and is not restated. A question
        asking for one end of a span of dates ("until when", `date_role` "end") is answered by that end of the span
        the best unit states ("between 1 January 2021 and 31 December 2029": common.answer_types.date_span) when no
        unit near it states another date; two dates that make no span ("Regulation of 24 June 2021 … opinion of 3
        March 2022") get no line, nor does a date that ends something ("until 31 December 2027") for a question
        asking from when, or one that starts something for a question asking until when. A question naming a
        subject ("indirect costs"; not a broad concept such as "operation") gets a line only from a passage whose
        title, heading or text names it (not `off_subject`): a rate from a passage on co-financing answers another
        question. A question naming a country gets no line from a document of another one (`other_country`): the
        amount of a Cypriot call is no answer on Greece."""
        if not self.settings.key_fact or asked not in self.settings.key_fact_types or question_states_figures:
            return None
        if self.settings.key_fact_same_country and other_country:
            return None
        if relevance[best] < self.settings.key_fact_min_score or in_worked_example(units[best].section):
            return None
        if self.settings.key_fact_named_subject and off_subject:
            return None
        groups = contrast_groups()
        others: list[frozenset[str]] = []  # per named group the question picks from: the members it does not pick
        for name in self.settings.key_fact_named_groups:
            wanted = groups[name] & asked_concepts
            # Matched against the whole group: "regiones menos desarrolladas" names the less developed regions only.
            if wanted and not wanted & concepts_among(units[best].context, units[best].language, groups[name]):
                return None
            if wanted:
                others.append(groups[name] - wanted)

        def competes(i: int) -> bool:
            # A unit naming another member of such a group ("70 % for transition regions that were less developed")
            # states another subject's value, and a worked example's value illustrates: neither competes with the
            # best unit's.
            return i == best or not (in_worked_example(units[i].section) or any(
                concepts_among(units[i].context, units[i].language, other) for other in others))

        if self.settings.key_fact_first_stating:
            own = {str(v.value) for v in units[best].values_of(asked)}
            if any(u.hit_rank < units[best].hit_rank and str(v.value) not in own and competes(i)
                   for i, u in enumerate(units) for v in u.values_of(asked)):
                return None
        # Only a value the finder is sure of is restated (`_stated`), though any other value near competes; a zero
        # ("0 %" in a table's empty cells, "0 EUR") is a filler far more often than the answer; an act's date
        # ("Regulation … of 24 June 2021") is a reference, though it competes too.
        # A bound ("< 90 %") restated as "Rate: 90 %" would lose its sign, a change in percentage points its unit.
        values = [v for v in units[best].values_of(asked) if _stated(v) and not _is_zero(v)
                  and not _is_bound(units[best].text, v) and not v.points and not is_act_date(units[best].text, v)
                  and not (asked_unit and v.kind == "duration" and v.value[1] != asked_unit)]
        near = relevance >= relevance[best] - self.settings.key_fact_margin
        distinct = {str(v.value) for i in np.flatnonzero(near) if competes(i)
                    for v in units[i].values_of(asked)}
        if not values:
            return None
        unit = units[best]
        if len(distinct) > 1:
            # Several values near: one answers only when all are the best unit's and the question picks its end.
            if not distinct <= {str(v.value) for v in values}:
                return None
            picked = _one_asked(unit, values, asked, date_role, asked_concepts)
            return (picked, unit.hit_rank) if picked else None
        if asked == "date" and date_role and date_bound(unit.text, unit.language, values[0]) not in (None, date_role):
            return None
        return values[0], unit.hit_rank

    def _excerpt(self, unit: _Unit, index: int, hit: SearchHit, probes: list[tuple[np.ndarray, list[frozenset[str]]]],
                 asked: str | None, restated: int | None) -> None:
        """Quote a unit longer than `quote_max_chars` by its clauses that answer (qa/compose/excerpt.py), scored
        like units are; the clause holding a restated value (at `restated` in the text) is always shown. A unit
        introducing a quoted list is shown whole: its items follow its last words."""
        limit = self.settings.quote_max_chars
        if not limit or len(unit.text) <= limit or unit.text.endswith(":"):
            return
        pieces = clauses(unit.text, limit, _CLAUSE_WORDS)
        if len(pieces) < 2:
            return
        texts = [piece.text(unit.text) for piece in pieces]
        vectors = _normalise(self.embedder.embed_passages(texts))
        tokens = [content_tokens(text, unit.language) for text in texts]
        scores = sum(self._relevance([words[index]] * len(pieces), tokens, vectors, query)
                     for query, words in probes) / len(probes)
        if asked in VALUE_TYPES:
            scores = scores + self.settings.typed_bonus * np.array(
                [any(p.start <= v.start < p.end for v in unit.values_of(asked)) for p in pieces])
        anchor = next((n for n, p in enumerate(pieces) if p.start <= restated < p.end), None) \
            if restated is not None else None
        first, last = excerpt_span(pieces, scores.tolist(), limit, self.settings.sentence_margin, anchor)
        unit.shown = render(unit.text, pieces, first, last)
        unit.page = hit.page_at(unit.offset + pieces[first].start)

    def _relevance(self, words: list[frozenset[str]], tokens: list[frozenset[str]], vectors: np.ndarray,
                   query: np.ndarray) -> np.ndarray:
        """Dense similarity plus word overlap (the question's `words` as each unit's language says them, against
        the unit's `tokens`): a small embedder ranks '70 % for transition regions that were less developed' level
        with '85 % for less developed regions'; shared words break the tie."""
        overlap = np.array([jaccard(asked, own) for asked, own in zip(words, tokens)])
        return vectors @ query + self.settings.lexical_weight * overlap

    def _asked_words(self, question: str, language: str, units: list[_Unit]) -> list[frozenset[str]]:
        """The question's words as each unit's language says them (qa/overlap.py)."""
        return asked_words(question, language, [u.language for u in units], self.settings.glossary)

    def _query_vector(self, request: ComposeRequest) -> np.ndarray:
        if request.query_vector is not None:
            return _normalise(np.asarray([request.query_vector], dtype=np.float32))[0]
        return _normalise(self.embedder.embed_queries([request.question]))[0]

    def _write(self, request: ComposeRequest, picked: list[_Unit], best: float,
               key_fact: tuple[TypedValue, int] | None) -> Composition:
        lang = request.language
        numbers: dict[int, int] = {}
        for unit in picked:
            numbers.setdefault(unit.hit_rank, len(numbers) + 1)
        foreign = sorted({u.language for u in picked if u.language != lang})
        lines = []
        diagnostics: dict[str, object] = {"best_sentence_score": round(best, 4)}
        if key_fact:
            value, rank = key_fact
            lines.append(key_fact_line([(value, f"[{numbers[rank]}]")], lang))
            diagnostics["key_fact"] = lines[0]
        lines.append(phrase("lead", lang))
        if foreign:
            names = ", ".join(language_name(code, lang) for code in foreign)
            lines.append(phrase("other_language", lang, languages=names))
        for unit in picked:
            marker = f"[{numbers[unit.hit_rank]}]"
            quote = _BULLET.sub("", unit.shown or unit.text)
            if unit.continues and not quote.startswith(ELLIPSIS):
                quote = f"{ELLIPSIS} {quote}"
            if unit.lead_in:
                quote = f"{unit.lead_in} {quote}"
            if unit.language == lang:
                lines.append(f"- {quote} {marker}" if quote.endswith(ELLIPSIS) else f"- {_with_marker(quote, marker)}")
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
        return Composition("\n".join(lines), answerable=True, citations=citations, diagnostics=diagnostics)


def _units(hit: SearchHit, rank: int) -> list[_Unit]:
    """The chunk's quotable units (common/units.py), each with the page it stands on; not its title lines, and none
    of a table of contents."""
    if is_table_of_contents(hit.text):
        return []
    return [_Unit(u.text, u.context, rank, u.intro, u.position, hit.language, page=hit.page_at(u.offset),
                  offset=u.offset, continues=u.continues, section=hit.section, doc=hit.doc_id)
            for u in quotable_units(hit.text, hit.section) if not is_title_line(u.text)]


def _states_any(hits: list[SearchHit], stated: list[TypedValue]) -> list[bool]:
    """For each passage, whether it states one of the rates or amounts in `stated` (the question's own)."""
    figures = {(v.kind, v.value) for v in stated if v.kind in ("rate", "amount")}
    return [any((v.kind, v.value) in figures for v in find_values(hit.text, hit.language)) for hit in hits]


def _off_subject(hits: list[SearchHit], units: list[_Unit], asked_concepts: frozenset[str]) -> list[bool]:
    """Per unit: its passage names none of the question's subjects (the glossary concepts it names, broad ones
    aside) in its title, heading or text; all False when the question names none."""
    subjects = asked_concepts - broad_concepts()
    if not subjects:
        return [False] * len(units)
    named = {rank: bool(concepts_among(_named_in(hits[rank]), hits[rank].language, subjects))
             for rank in {u.hit_rank for u in units}}
    return [not named[u.hit_rank] for u in units]


def _of_another_country(hit: SearchHit, asked: list[str]) -> bool:
    """The passage's document is of a country, and the question names countries (`asked`), not that one."""
    return bool(asked and hit.country and hit.country not in asked)


def _per_unit(passage_flags: list[bool], units: list[_Unit]) -> np.ndarray:
    """A flag of each passage, as 1.0 or 0.0 for each of its units."""
    return np.array([float(passage_flags[u.hit_rank]) for u in units])


def _of_asked_article(hits: list[SearchHit], question: str) -> list[bool]:
    """For each passage, whether its heading path names an article the question names (its own article, not one
    its text cross-references)."""
    asked = article_anchors(question)
    return [bool(asked and article_anchors(hit.section or "") & asked) for hit in hits]


def _named_in(hit: SearchHit) -> str:
    """Where a passage names its subject: its document's title, its heading path and its text."""
    return "\n".join(part for part in (hit.title, hit.section, hit.text) if part)


def _asked_types(request: ComposeRequest) -> list[str]:
    """A follow-up as typed says what it asks for ("And until when?"); else the standalone question."""
    if request.latest_turn:
        asked = detect_answer_types(request.latest_turn, request.asked_in)
        if asked:
            return asked
    return detect_answer_types(request.question, request.asked_in)


def _contrasting(question: str, language: str, units: list[_Unit]) -> np.ndarray:
    """1 for each unit naming another concept of a group the question picks one of (qa/glossary.py: contrasting),
    else 0."""
    asked = frozenset(concepts_in(question, language))
    members = frozenset().union(*(group for group in contrasts() if asked & group))
    if not members:
        return np.zeros(len(units))
    return np.array([float(contrasting(asked, concepts_among(u.text, u.language, members))) for u in units])


def _attach_values(units: list[_Unit], stated_in_question: list[TypedValue], date_role: str | None,
                   thresholds_asked: bool) -> None:
    """Each unit's typed values. An amount or date the question itself states ("a project of 120 000 euro") is
    no answer to it; a rate it names may well be ("can we use the 20 % flat rate?"). A date that ends something
    ("paid by 31 December 2029") is no answer to a question asking from when (`date_role` "start"), nor one that
    starts something to a question asking until when. A rate measured against an average ("below 75 % of the
    average": a region's GDP per head) is a threshold, no rate of support, unless the question speaks of one
    (`thresholds_asked`, read on the whole question: a follow-up carries it)."""
    stated = {str(v.value) for v in stated_in_question if v.kind in ("amount", "date")}
    opposite = {"start": "end", "end": "start"}.get(date_role or "")
    for unit in units:
        # A list item is scored with the sentence introducing it: a list "by GDP per head compared with the
        # average" lists thresholds ("transition regions: between 75 % and 100 %").
        lead_in = unit.context.removesuffix(unit.text) if unit.context != unit.text else ""
        listed_thresholds = not thresholds_asked and names_an_average(lead_in, unit.language)
        unit.values = [v for v in find_values(unit.text, unit.language)
                       if (str(v.value) not in stated or v.kind not in ("amount", "date"))
                       and not (opposite and v.kind == "date" and date_bound(unit.text, unit.language, v) == opposite)
                       and not (v.kind == "rate" and not thresholds_asked
                                and (listed_thresholds or of_an_average(unit.text, unit.language, v)))]


def _distinct_values(units: list[_Unit], vectors: np.ndarray, relevance: np.ndarray, asked: str,
                     margin: float, limit: int, sources: list[int], new_source_penalty: float) -> list[int]:
    """The best unit, then units within the score margin that add a value of the asked type not quoted yet and
    do not repeat a chosen unit in other words; a unit from a passage not cited yet must clear the margin by
    `new_source_penalty` (another source is another citation to trust)."""
    order = [int(i) for i in np.argsort(-relevance)]
    best = order[0]
    chosen = [best]
    seen = {str(v.value) for v in units[best].values_of(asked)}
    for i in order[1:]:
        if len(chosen) >= limit or relevance[i] < relevance[best] - margin:
            break
        cited = {sources[j] for j in chosen}
        if sources[i] not in cited and relevance[i] < relevance[best] - margin + new_source_penalty:
            continue
        new = {str(v.value) for v in units[i].values_of(asked)} - seen
        if new:  # rows of one table read alike yet each adds its value
            chosen.append(i)
            seen |= new
    return chosen


def _items_of_chosen_intros(units: list[_Unit], chosen: list[int]) -> list[int]:
    """A quoted 'may be covered by one of these flat rates:' needs its list, or it answers nothing."""
    items: list[int] = []
    for index in chosen:
        if units[index].text.endswith(":"):
            intro = units[index]
            items += [j for j, u in enumerate(units) if u.hit_rank == intro.hit_rank and u.intro == intro.position
                      and j not in chosen][:_MAX_LIST_ITEMS]
    return items


def _lead_ins(units: list[_Unit], chosen: list[int]) -> None:
    """An item quoted without the sentence introducing it ("debit interest;" without "Never eligible are:") may
    say the opposite of what it means: the first quoted item of each list whose introducing sentence is not quoted
    is shown after it, on its line ("Never eligible are: … debit interest;"), both verbatim."""
    by_position = {(u.hit_rank, u.position): u for u in units}
    quoted = {(units[i].hit_rank, units[i].position) for i in chosen}
    led: set[tuple[int, int]] = set()
    for i in sorted(chosen, key=lambda i: (units[i].hit_rank, units[i].position)):
        item = units[i]
        key = (item.hit_rank, item.intro)
        intro = by_position.get(key) if item.intro is not None else None
        if intro is None or key in quoted or key in led or len(intro.text) > _MAX_LEAD_IN_CHARS:
            continue
        led.add(key)
        lead = _BULLET.sub("", intro.text)
        if intro.continues:
            lead = f"{ELLIPSIS} {lead}"
        item.lead_in = lead if item.position == intro.position + 1 else f"{lead} {ELLIPSIS}"


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _mmr(vectors: np.ndarray, relevance: np.ndarray, limit: int, trade_off: float, margin: float,
         sources: list[int] | None = None, new_source_penalty: float = 0.0) -> list[int]:
    """Maximal marginal relevance among the units within `margin` of the best one; after the first pick, a unit
    from a passage not cited yet must also clear the margin by `new_source_penalty`."""
    best = float(relevance.max())
    candidates = [i for i in np.argsort(-relevance) if relevance[i] >= best - margin]
    chosen: list[int] = []
    while candidates and len(chosen) < limit:
        if chosen and sources is not None and new_source_penalty:
            cited = {sources[j] for j in chosen}
            candidates = [i for i in candidates
                          if sources[i] in cited or relevance[i] >= best - margin + new_source_penalty]
            if not candidates:
                break

        def gain(i: int) -> float:
            redundancy = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
            return trade_off * float(relevance[i]) - (1 - trade_off) * redundancy
        pick = max(candidates, key=gain)
        chosen.append(int(pick))
        candidates.remove(pick)
    return chosen


def _is_zero(value: TypedValue) -> bool:
    number = value.value[0] if isinstance(value.value, tuple) else value.value
    return isinstance(number, (int, Decimal)) and number == 0


def _one_asked(unit: _Unit, values: list[TypedValue], asked: str, date_role: str | None,
               asked_concepts: frozenset[str]) -> TypedValue | None:
    """Of a unit's two values, the one the question picks: the end of a span of dates it asks for ("until when":
    the later of "between 1 January 2021 and 31 December 2029"), or of a lower and an upper bound ("ten minste €
    60.000 en ten hoogste € 190.000") the one a question on the minimum or the maximum (glossary concepts) asks
    for; else None."""
    if asked == "date" and date_role:
        span = date_span(unit.text, unit.language, values)
        return (max if date_role == "end" else min)(span, key=lambda v: v.value) if span else None
    bound_asked = {_BOUND_OF[c] for c in asked_concepts if c in _BOUND_OF}
    if asked not in ("amount", "rate") or len(bound_asked) != 1 or len({str(v.value) for v in values}) != 2:
        return None
    bounds = [value_bound(unit.text, unit.language, v) for v in values]
    return values[bounds.index(bound_asked.pop())] if sorted(bounds) == ["least", "most"] else None


def _stated(value: TypedValue) -> bool:
    """Whether the value finder is sure of `value`: written with digits, a period ("five years", "vijf jaar"), or a
    count of two or more in words (the finder reads a text's own language's number words only). "one" is an article
    more often than a count ("een", "un")."""
    if value.kind == "duration" or any(c.isdigit() for c in value.text):
        return True
    return value.kind == "count" and value.value >= 2


def _is_bound(text: str, value: TypedValue) -> bool:
    """Whether `value` is written after a comparison sign in `text` ("GNI per capita < 90 % of the average")."""
    return text[: value.start].rstrip()[-1:] in _COMPARISON_SIGNS


def _with_marker(sentence: str, marker: str) -> str:
    """'Rates are 85 %.' -> 'Rates are 85 % [1].'"""
    stripped = sentence.rstrip()
    if stripped and stripped[-1] in ".;:!?…":
        return f"{stripped[:-1].rstrip()} {marker}{'.' if stripped[-1] == ';' else stripped[-1]}"
    return f"{stripped} {marker}"
