"""What kind of value a question asks for, and the values of each kind a sentence carries.

The expected type comes from cue words per language (`common/data/answer_types.yaml`). Values are found with
patterns built from CLDR data through Babel (month names and duration units of every served language) and
`common/data/number_words.yaml`, so that "31 Δεκεμβρίου 2029", "31.12.2029", "85 %", "EUR 400 000" and
"six months" are recognised whichever language the source is in.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError

from common.settings import SERVED_LANGUAGES

DATA_DIR = Path(__file__).resolve().parent / "data"
ANSWER_TYPES = ("rate", "amount", "date", "duration", "count", "who", "yes_no")
# Types whose value can be stated on one line; who/yes_no only steer which sentence is quoted.
VALUE_TYPES = ("rate", "amount", "date", "duration", "count")
DURATION_UNITS = ("year", "month", "week", "day", "hour")


@dataclass(frozen=True)
class TypedValue:
    kind: str  # one of VALUE_TYPES
    text: str  # as written in the source
    start: int
    end: int
    value: Any  # Decimal (rate, amount, count), datetime.date, or (Decimal, unit) for a duration
    currency: str | None = None
    # A rate's change in percentage points ("raised by 10 percentage points"), not a rate itself.
    points: bool = False


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace("’", "'")


@lru_cache(maxsize=1)
def answer_type_cues() -> dict[str, Any]:
    return yaml.safe_load((DATA_DIR / "answer_types.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def number_words() -> dict[str, list[str]]:
    return yaml.safe_load((DATA_DIR / "number_words.yaml").read_text(encoding="utf-8"))


_SENTENCE_START = r"(?:^|[.?!;:]\s+|[¿¡])"


def _cue_regex(cue: str, sentence_start: bool) -> str:
    inside = cue.startswith("~")
    at_start = sentence_start or cue.startswith("^")
    word = _fold(cue.lstrip("~^"))
    body = re.escape(word) + (r"(?![\w'-])" if len(word) <= 3 or sentence_start else "")
    if inside:
        return body
    return (_SENTENCE_START if at_start else r"(?<!\w)") + body


@lru_cache(maxsize=64)
def _cue_patterns(language: str) -> list[tuple[str, re.Pattern]]:
    cues = _language_table("cues", language)
    return [(kind, re.compile("|".join(_cue_regex(cue, kind == "yes_no") for cue in cues[kind])))
            for kind in answer_type_cues()["order"] if cues.get(kind)]


@lru_cache(maxsize=64)
def _cue_patterns_each(language: str) -> dict[str, list[re.Pattern]]:
    """Per kind, each cue's own pattern (the joined one stops at the first cue listed that matches)."""
    cues = _language_table("cues", language)
    return {kind: [re.compile(_cue_regex(cue, kind == "yes_no")) for cue in cues[kind]]
            for kind in answer_type_cues()["order"] if cues.get(kind)}


def detect_answer_types(question: str, language: str) -> list[str]:
    """Every kind whose cue words of the question's language match, in the order of the data file, except that
    the most specific cue goes first: a kind whose cue takes in another kind's ("combien de" around "combien",
    "cuántos" around "cuánto") asks for what the longer words say, and a count cue followed by a unit of time
    ("how many hours", "combien de jours") asks for a period."""
    folded = " ".join(_fold(question).split())
    kinds = [kind for kind, pattern in _cue_patterns(language) if pattern.search(folded)]
    if len(kinds) > 1:
        kinds = _most_specific_first(kinds, folded, language)
    if "count" in kinds and _counted_unit(folded, language):
        kinds = ["duration", *(kind for kind in kinds if kind != "duration")]
    return kinds


def _most_specific_first(kinds: list[str], folded: str, language: str) -> list[str]:
    """`kinds` reordered so that a kind with a cue match spanning another kind's match, and longer, comes before
    it; otherwise in the data file's order."""
    each = _cue_patterns_each(language)
    spans = {kind: [m.span() for pattern in each[kind] for m in pattern.finditer(folded)] for kind in kinds}

    def wider(outer: str, inner: str) -> bool:
        return any(a <= c and d <= b and b - a > d - c for a, b in spans[outer] for c, d in spans[inner])

    ordered = list(kinds)
    for later in kinds:
        ahead = [kind for kind in ordered[: ordered.index(later)] if wider(later, kind) and not wider(kind, later)]
        if ahead:
            ordered.remove(later)
            ordered.insert(ordered.index(ahead[0]), later)
    return ordered


def _counted_unit(folded: str, language: str) -> str | None:
    """The unit of time right after a count cue of the folded question ("how many hours": hour), else None."""
    pattern = dict(_cue_patterns(language)).get("count")
    for found in pattern.finditer(folded) if pattern else ():
        following = re.match(r"\s*([^\W\d_]+)", folded[found.end() :])
        if following and (unit := _unit_of(following.group(1), language)):
            return unit
    return None


def asked_value_kinds(question: str, language: str) -> set[str]:
    """The kinds of value the question asks for (rate, amount, date, duration, count), by its language's cues."""
    return {kind for kind in detect_answer_types(question, language) if kind in VALUE_TYPES}


def asked_duration_unit(question: str, language: str) -> str | None:
    """The unit a question asking for a period names as its cue's last word ("how many years": year; "колко
    месеца": month) or right after a count cue ("how many hours": hour), else None ("how long")."""
    folded = " ".join(_fold(question).split())
    return next((unit for pattern, unit in _duration_unit_cues(language) if pattern.search(folded)),
                None) or _counted_unit(folded, language)


@lru_cache(maxsize=64)
def _duration_unit_cues(language: str) -> list[tuple[re.Pattern, str]]:
    """The duration cues of `language` whose last word is a unit of time, compiled, with that unit."""
    cues = _language_table("cues", language)
    found = []
    for cue in cues.get("duration", []):
        words = _fold(cue.lstrip("~^")).split()
        if len(words) > 1 and (unit := _unit_of(words[-1], language)):
            found.append((re.compile(_cue_regex(cue, False)), unit))
    return found


def asked_date_role(question: str, language: str) -> str | None:
    """Which end of a span of dates a date question asks for: "end" ("until when", "deadline"), "start" ("from
    when", "earliest"), or None when it names neither or both (`date_roles` of common/data/answer_types.yaml)."""
    folded = " ".join(_fold(question).split())
    roles = {role for role, pattern in _date_role_cues(language) if pattern.search(folded)}
    return roles.pop() if len(roles) == 1 else None


@lru_cache(maxsize=64)
def _date_role_cues(language: str) -> list[tuple[str, re.Pattern]]:
    roles = _language_table("date_roles", language)
    return [(role, re.compile("|".join(_cue_regex(cue, False) for cue in roles[role]))) for role in ("end", "start")]


def _language_table(table: str, language: str) -> dict[str, list[str]]:
    """A per-language table of common/data/answer_types.yaml, English for a language it lacks."""
    return answer_type_cues()[table].get(language) or answer_type_cues()[table]["en"]


@lru_cache(maxsize=512)
def _words_pattern(table: str, language: str, key: str, template: str) -> re.Pattern[str]:
    """The words of `table`[`language`][`key`], folded, as one alternation put into `template` at "{words}"."""
    words = sorted({_fold(word).lstrip("-") for word in _language_table(table, language)[key]}, key=len, reverse=True)
    return re.compile(template.replace("{words}", "(?:" + "|".join(map(re.escape, words)) + ")"))


# The two dates of a span stand this close at most ("between 1 January 2021 (or the submission, if earlier) and
# 31 December 2029").
_SPAN_GAP = 60
_SPAN_DASH = re.compile(r"^\s*[–—-]\s*$|\s[–—-]\s")
# Templates of _words_pattern: the words anywhere as whole words ("t/m" too); ending a text; opening one (a
# suffix "-ig" after a date too); ending one, a short linking word allowed after ("minimum de").
_WHOLE = r"(?<![\w/]){words}(?![\w/])"
_ENDING = r"(?<!\w){words}$"
_OPENING = r"^-?{words}(?!\w)"
_ENDING_OR_LINKED = r"(?<!\w){words}(?:\s+[^\W\d_]{1,3}'?)?$"
_STARTING = r"(?<!\w){words}"


def date_span(text: str, language: str, dates: list[TypedValue]) -> tuple[TypedValue, TypedValue] | None:
    """The two dates of `dates` (found in `text`), in the order written, when they make a span: exactly two
    distinct dates joined by a dash or a span word of `language` ("and", "au", "bis", "по": `date_roles` of
    common/data/answer_types.yaml) within a few words. "Regulation of 24 June 2021 … opinion of 3 March 2022" is
    two dates, not a span."""
    distinct = list({str(d.value): d for d in dates if d.kind == "date"}.values())
    if len(distinct) != 2:
        return None
    first, second = sorted(distinct, key=lambda d: d.start)
    between = text[first.end : second.start]
    if len(between) > _SPAN_GAP:
        return None
    joined = _SPAN_DASH.search(between) or _words_pattern("date_roles", language, "span", _WHOLE).search(
        _fold(between))
    return (first, second) if joined else None


def detect_answer_type(question: str, language: str) -> str | None:
    """The kind the question is answered as, or None when no cue of its language matches (`answered_as`)."""
    return answered_as(detect_answer_types(question, language))


def answered_as(kinds: list[str]) -> str | None:
    """Of the kinds a question's cues name, the one it is answered as: a yes or a no when it asks one ("Can the
    regulation allow higher rates?" names a rate), else the first."""
    return "yes_no" if "yes_no" in kinds else next(iter(kinds), None)


# --- values -----------------------------------------------------------------------------------------------

_NUMBER = r"\d{1,3}(?:[  \u202f.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
# "%", "per cent" and a rate's change in percentage points ("raised by 10 percentage points"), in the documents'
# languages.
_PERCENT_UNIT = (r"%|percentage\s+points?\b|per\s?cent\b|points?\s+de\s+pourcentage\b|pour\s+cent\b|"
                 r"prozentpunkt\w*|prozent\b|procentn\w*\s+bod\w*|punkt\w*\s+procentow\w*|procent\w*|"
                 r"процентн\w*\s+пункт\w*|процент\w*|ποσοστιαί\w*\s+μονάδ\w*|τοις\s+εκατό|"
                 r"puntos?\s+porcentuales|por\s+ciento|punti\s+percentuali|per\s+cento|pontos?\s+percentuais|"
                 r"por\s+cento|prosent\w*|protsent\w*|százalék\w*|odstot\w*")
_PERCENT = re.compile(rf"(?<![\w.,])({_NUMBER})\s?({_PERCENT_UNIT})", re.IGNORECASE)
_PERCENT_AFTER_WORD = re.compile(rf"\s+({_PERCENT_UNIT})", re.IGNORECASE)
_POINTS = re.compile(r"point|punkt|punt|pont|bod|пункт|μονάδ", re.IGNORECASE)
_CURRENCY = r"€|eur\b|euros?\b|евро\b|ευρώ|eurot?\b|eura\b|eiro\b|ewro\b|euró\w*|eurų"
_SCALE = (r"millions?|mio\.?|mln\.?|million\w*|millon\w*|millón|miljoen|miljon\w*|milion\w*|milioan\w*|"
          r"милион\w*|миллион\w*|млн\.?|εκατ\.?|εκατομμύρι\w*|milliards?|mrd\.?|billion")
# The word some languages put between a number and what it counts: Romanian "120 000 de euro", "20 de zile";
# Spanish "2 millones de euros"; French "3 millions d'euros"; Italian "5 milioni di euro".
_CONNECTOR = r"(?:de|d['’]|di)"
_MONEY_AFTER = re.compile(rf"(?<![\w.,])({_NUMBER})(?:\s?({_SCALE}))?\s?(?:{_CONNECTOR}\s?)?({_CURRENCY})",
                          re.IGNORECASE)
_MONEY_BEFORE = re.compile(rf"({_CURRENCY})\s?({_NUMBER})(?:\s?({_SCALE})(?!\w))?", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"(?<![\d.])(\d{1,2})[./](\d{1,2})[./](\d{4})(?!\d)|(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_YEAR_LIKE = re.compile(r"^(?:19|20)\d\d$")
# A number right after one of these words is a reference, not a count; so is one after a list of numbers that
# follows one ("Articles 10 and 14", "Artikel 5, 6 und 9"), joined by the words of common/data/answer_types.yaml.
_REFERENCE_WORDS = (r"(?:art\w*|článek|člen\w*|член\w*|статья|άρθρ\w*|§|point|punkt\w*|paragraph\w*|absatz|lid|"
                    r"alinéa|regulation|verordnung|règlement|no\.?|nr\.?|n°|annex\w*|annexe|anhang|bijlage|chapter|"
                    r"kapitel)\s*\(?[a-z]?\)?")


@lru_cache(maxsize=1)
def _article_before() -> re.Pattern:
    joins = sorted({re.escape(w) for words in answer_type_cues()["reference_joins"].values() for w in words},
                   key=len, reverse=True)
    listed = rf"(?:\s*\d+[a-z]?(?:\(\w{{1,3}}\))*\s*(?:,|\b(?:{'|'.join(joins)})\b))*"
    return re.compile(rf"{_REFERENCE_WORDS}{listed}\s*$", re.IGNORECASE)


def _scale_factor(word: str | None) -> Decimal:
    if not word:
        return Decimal(1)
    folded = word.casefold()
    if folded.startswith(("milliard", "mrd", "billion")):
        return Decimal(10) ** 9
    return Decimal(10) ** 6


def parse_number(text: str) -> Decimal | None:
    """'100 000' / '100.000' / '100,000' -> 100000; '12,5' / '12.5' -> 12.5."""
    compact = re.sub(r"[\s\u202f ]", "", text)
    if re.fullmatch(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*", compact):
        compact = re.sub(r"[.,]", "", compact)  # one kind of separator before groups of three: thousands
    elif re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+[.,]\d+", compact):
        compact = re.sub(r"[.,](?=\d{3}[.,])", "", compact).replace(",", ".")
    else:
        compact = compact.replace(",", ".")
    try:
        return Decimal(compact)
    except InvalidOperation:
        return None


def _stem(word: str) -> str:
    return word if len(word) <= 4 else word[: max(4, len(word) - 2)]


@lru_cache(maxsize=1)
def _month_names() -> dict[str, int]:
    """Casefolded month names of every served language (format and stand-alone, wide and abbreviated) and their
    stems, each to its month; a stem two months share is left out."""
    exact: dict[str, int] = {}
    stems: dict[str, set[int]] = {}
    for language in SERVED_LANGUAGES:
        locale = Locale.parse(language)
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for month, name in locale.months[context][width].items():
                    name = _fold(name).rstrip(".")
                    if len(name) < 3 or not name.isalpha():
                        continue
                    exact.setdefault(name, month)
                    if width == "wide":
                        stems.setdefault(_stem(name), set()).add(month)
    for stem, months in stems.items():
        if len(months) == 1:
            exact.setdefault(stem, next(iter(months)))
    return exact


def _month_of(word: str) -> int | None:
    folded = _fold(word).rstrip(".")
    names = _month_names()
    if folded in names:
        return names[folded]
    for size in range(len(folded) - 1, 3, -1):  # inflected forms: "detsembril", "jaanuarist"
        month = names.get(folded[:size])
        if month is not None:
            return month
    return None


# "31 December 2029", "31. detsembril 2029", "1er janvier 2021", "31 декември 2029 г.", "31 de diciembre de 2029"
_WORD_DATE = re.compile(r"(?<![\w.])(\d{1,2})(?:\.|er|st|nd|rd|th|-?го|-?ης)?\s+(?:de\s+)?([^\W\d_]{3,}\.?)\s+"
                        r"(?:de\s+)?(\d{4})(?:\s?(?:г\.|r\.|m\.))?(?!\d)")
_MONTH_FIRST = re.compile(r"(?<![\w.])([^\W\d_]{3,})\s+(\d{1,2}),?\s+(\d{4})(?!\d)")


def _date(year: str, month: int | None, day: str) -> dt.date | None:
    if month is None:
        return None
    try:
        return dt.date(int(year), month, int(day))
    except ValueError:
        return None


@lru_cache(maxsize=64)
def _unit_words(language: str) -> list[tuple[str, str]]:
    """(stem, unit) for the duration units of `language` (English for a language Babel does not know), longest
    first. English stems are not tried in other languages: "mont" (month) would read the French "un montant" (an
    amount) as one month."""
    found: dict[str, str] = {}
    try:
        locale = Locale.parse(language)
    except (ValueError, TypeError, UnknownLocaleError):
        locale = Locale.parse("en")
    patterns = locale._data["unit_patterns"]
    for unit in DURATION_UNITS:
        for width in ("long", "short"):
            forms = patterns.get(f"duration-{unit}", {}).get(width, {})
            for form in (forms.values() if hasattr(forms, "values") else []):
                if not isinstance(form, str):
                    continue
                word = _fold(form.replace("{0}", "")).strip(" .")
                if len(word) >= 3 and " " not in word and word.isalpha():
                    found.setdefault(_stem(word), unit)
    extra = {"χρόν": "year", "ετ": "year", "μήν": "month", "jaar": "year", "jahr": "year", "ann": "year",
             "ans": "year", "year": "year", "month": "month"}
    for stem, unit in extra.items():
        found.setdefault(stem, unit)  # inflected forms CLDR does not list ("χρόνια", "jaar")
    return sorted(found.items(), key=lambda item: -len(item[0]))


@lru_cache(maxsize=64)
def _number_word_table(language: str, english: bool = True) -> list[tuple[str, int]]:
    languages = dict.fromkeys((language, "en") if english else (language,))
    table = [(_fold(word), n) for lang in languages for n, word in enumerate(number_words().get(lang, []), 1)]
    return sorted(table, key=lambda item: -len(item[0]))


def number_word(word: str, language: str, english: bool = True) -> int | None:
    """The number a number word of `language` (or, with `english`, of English) names ("четири" is 4), else None."""
    folded = _fold(word)
    for stem, n in _number_word_table(language, english):
        if folded == stem or (len(stem) >= 4 and folded.startswith(stem) and len(folded) - len(stem) <= 3):
            return n
    return None


_COUNTED = re.compile(rf"(?<![\w.,/-])({_NUMBER}|[^\W\d_]{{2,14}})(?=\s+(?:{_CONNECTOR}\s+)?([^\W\d_]{{2,}}))")


def _unit_of(word: str, language: str) -> str | None:
    folded = _fold(word)
    for stem, unit in _unit_words(language):
        if folded.startswith(stem) and (len(stem) >= 3 or folded == stem or len(folded) - len(stem) <= 3):
            return unit
    return None


def find_values(text: str, language: str = "en") -> list[TypedValue]:
    """Every rate, amount, date, duration and count in `text` (written in `language`), in order, without
    overlaps (a money or date match claims its digits before a count could)."""
    values: list[TypedValue] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(value: TypedValue) -> None:
        if free(value.start, value.end):
            values.append(value)
            taken.append((value.start, value.end))

    for m in _WORD_DATE.finditer(text):
        date = _date(m.group(3), _month_of(m.group(2)), m.group(1))
        if date:
            add(TypedValue("date", m.group(0).strip(), m.start(), m.end(), date))
    for m in _MONTH_FIRST.finditer(text):
        date = _date(m.group(3), _month_of(m.group(1)), m.group(2))
        if date:
            add(TypedValue("date", m.group(0), m.start(), m.end(), date))
    for m in _NUMERIC_DATE.finditer(text):
        if m.group(1):
            date = _date(m.group(3), int(m.group(2)) if 1 <= int(m.group(2)) <= 12 else None, m.group(1))
        else:
            date = _date(m.group(4), int(m.group(5)) if 1 <= int(m.group(5)) <= 12 else None, m.group(6))
        if date:
            add(TypedValue("date", m.group(0), m.start(), m.end(), date))
    for m in _PERCENT.finditer(text):
        number = parse_number(m.group(1))
        if number is not None and number <= 100:
            add(TypedValue("rate", m.group(0), m.start(), m.end(), number, points=bool(_POINTS.search(m.group(2)))))
    for m in _MONEY_AFTER.finditer(text):
        number = parse_number(m.group(1))
        if number is not None:
            add(TypedValue("amount", m.group(0), m.start(), m.end(), number * _scale_factor(m.group(2)), "EUR"))
    for m in _MONEY_BEFORE.finditer(text):
        number = parse_number(m.group(2))
        if number is not None:
            add(TypedValue("amount", m.group(0), m.start(), m.end(), number * _scale_factor(m.group(3)), "EUR"))
    for m in _COUNTED.finditer(text):
        first, following = m.group(1), m.group(2)
        # A text's own number words only: the Dutch "ten minste" (at least) is no English ten.
        word_value = None if first[0].isdigit() else number_word(first, language, english=language == "en")
        n = parse_number(first) if first[0].isdigit() else (Decimal(word_value) if word_value else None)
        if n is None or _YEAR_LIKE.match(first) or _article_before().search(text[max(0, m.start() - 25) : m.start()]):
            continue
        percent = _PERCENT_AFTER_WORD.match(text, m.end(1)) if word_value else None
        if percent and n <= 100:  # "ten percentage points", "five per cent"
            add(TypedValue("rate", text[m.start():percent.end()], m.start(), percent.end(), n,
                           points=bool(_POINTS.search(percent.group(1)))))
            continue
        unit = _unit_of(following, language)
        end = m.end(2) if unit else m.end(1)
        if unit:
            add(TypedValue("duration", text[m.start():end], m.start(), end, (n, unit)))
        else:
            add(TypedValue("count", first, m.start(), end, n))
    return sorted(values, key=lambda v: v.start)


def date_bound(text: str, language: str, value: TypedValue) -> str | None:
    """"end" when the words next to a date in `text` make it the end of something ("until 31 December 2027",
    "tot tenminste 31 december 2027"), "start" when they make it the start ("from 1 January 2021", "с 1 января 2021
    г."), else None (`until` and `from` of `date_roles`, common/data/answer_types.yaml). Words after the date count
    too, for the languages that put them there (Finnish "asti", Hungarian "-ig")."""
    before = _fold(text[max(0, value.start - 30) : value.start]).rstrip()
    after = _fold(text[value.end : value.end + 20]).lstrip()
    found = {bound for key, bound in (("until", "end"), ("from", "start"))
             if _words_pattern("date_roles", language, key, _ENDING).search(before)
             or _words_pattern("date_roles", language, key, _OPENING).search(after)}
    return found.pop() if len(found) == 1 else None


_CURRENCY_BEFORE = re.compile(rf"(?:{_CURRENCY})\s*$", re.IGNORECASE)


def value_bound(text: str, language: str, value: TypedValue) -> str | None:
    """"least" when the words just before a value in `text` make it a lower bound ("ten minste € 60.000"), "most"
    when they make it an upper one ("ten hoogste € 190.000", "up to 85 %"), else None (`value_bounds` of
    common/data/answer_types.yaml)."""
    before = _CURRENCY_BEFORE.sub("", _fold(text[max(0, value.start - 30) : value.start]).rstrip()).rstrip()
    # A short linking word may stand between ("un montant minimum de 10 000 EUR", "maximum of EUR 5 000").
    found = {bound for bound in ("least", "most")
             if _words_pattern("value_bounds", language, bound, _ENDING_OR_LINKED).search(before)}
    return found.pop() if len(found) == 1 else None


# A rate is measured against an average when one of `averages` starts one of this many words after it.
_AVERAGE_WORDS = 4


def names_an_average(text: str, language: str) -> bool:
    """Whether `text` speaks of an average or of GDP (`averages` of common/data/answer_types.yaml): a question on
    the threshold of a region category ("below what share of the average GDP ...?") asks for such a rate."""
    return bool(_words_pattern("averages", language, "words", _STARTING).search(_fold(text)))


def of_an_average(text: str, language: str, value: TypedValue) -> bool:
    """Whether a rate in `text` is measured against an average: one of the few words right after it starts with a
    word of `averages` ("75 % of the average", "75 % de la moyenne", "75 % ELi keskmisest"). Such a rate is a
    threshold (a region's GDP per head), not a rate of support."""
    if value.kind != "rate":
        return False
    after = " ".join(_fold(text[value.end : value.end + 80]).split()[:_AVERAGE_WORDS])
    return bool(_words_pattern("averages", language, "words", _STARTING).search(after))


# An act's number ("2021/1060", "1303/2013") and, after a date, the number sign of an act ("määruse nr 55",
# "No 1303/2013"): the date between them is the act's.
_ACT_NUMBER = re.compile(r"(?<![\d/])(?:\d{4}/\d{1,4}|\d{1,4}/\d{4})(?![\d/])")
_ACT_NUMBER_AFTER = re.compile(r"^\.?[^\d;:!?]{0,20}?(?:\bnr|\bno|n°|nº|№)\.?\s*\d", re.IGNORECASE)
_ACT_NAME_GAP = 90


def is_act_date(text: str, value: TypedValue) -> bool:
    """Whether a date in `text` is the date of an act it cites ("Regulation (EU) 2021/1060 of the European
    Parliament and of the Council of 24 June 2021", "Vabariigi Valitsuse 12. mai 2022. a määruse nr 55"): a
    reference, which answers no question on a deadline. An act's number within a clause before the date, or a
    number sign just after it, marks one; "Under Regulation 2021/1060, costs are eligible until …" does not."""
    if value.kind != "date":
        return False
    if _ACT_NUMBER_AFTER.match(text[value.end : value.end + 30]):
        return True
    before = text[max(0, value.start - _ACT_NAME_GAP) : value.start]
    numbers = list(_ACT_NUMBER.finditer(before))
    return bool(numbers) and not re.search(r"[,;:.!?]\s", before[numbers[-1].end() :])


def values_of(text: str, kind: str, language: str = "en") -> list[TypedValue]:
    return [v for v in find_values(text, language) if v.kind == kind]


def value_kinds(text: str, language: str) -> list[str]:
    """The kinds of value `text` states, sorted (stored with each chunk for search)."""
    return sorted({value.kind for value in find_values(text, language)})
