"""Personal data out of free text before it is stored: e-mail addresses, IBANs, national ID numbers, phone numbers
and the signature block of a pasted inquiry become typed placeholders ([email], [iban], [national-id], [phone],
[signature]).

What counts as each (closing words, phone cue words, ID shapes per country) is data in redaction.yaml; the checks
here (checksums, birth dates) keep numbers that merely look like IDs, such as amounts, dates, years, regulation and
CELEX numbers, article and page numbers, as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import yaml

DATA_FILE = Path(__file__).with_name("redaction.yaml")

EMAIL = "[email]"
PHONE = "[phone]"
IBAN = "[iban]"
NATIONAL_ID = "[national-id]"
SIGNATURE = "[signature]"
PLACEHOLDERS = (EMAIL, PHONE, IBAN, NATIONAL_ID, SIGNATURE)

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
# Country code, check digits, then groups of four (spaced or not); the mod-97 check decides.
_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![\w])")
# A run of digits with the separators phone numbers are written with; classified as a whole (see _is_phone).
_NUMBER_RUN = re.compile(r"(?<![\w+])(?:\+ ?)?\(?\d[\d()./\- \u00a0]*\d\)?(?!\w)")
_DATE = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?!\d)")
# Digits of an ID must not continue a longer number (2021/1060, 1.234.567, 12-34).
_NUMBER_BEFORE = re.compile(r"\d[.,/\-]$")
_NUMBER_AFTER = re.compile(r"^[.,/\-]\d")
# Every ID shape holds at least nine digits (or a Corsican 2A/2B); a text without such a run has none to check.
_LONG_NUMBER = re.compile(r"\d(?:[ ./\-]?[\dAB]){8}")
_CUE_WINDOW = 32  # characters before a number in which a cue word counts
_CUE_PUNCTUATION = str.maketrans("", "", ".-")  # ignored when comparing cue words ("Α.Φ.Μ.", "sofi-nummer")
_PHONE_MIN_DIGITS = 6
_SIGNATURE_LINE_MAX = 80  # signature lines are short: a name, a role, an organisation, an address
_SIGNATURE_LINE_WORDS = 10
_SIGNATURE_LINES_MAX = 7


class RedactionDataError(ValueError):
    """redaction.yaml is malformed: a missing section, an unknown check, a shape that does not compile."""


# ---------------------------------------------------------------------------------------------------------------
# Checks of national ID numbers (digits only, separators removed). Each also checks the birth date it embeds.

def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _either_century(yy: int, month: int, day: int) -> bool:
    return _valid_date(1900 + yy, month, day) or _valid_date(2000 + yy, month, day)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _weighted(digits: str, weights: list[int]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights))


def egn(d: str) -> bool:
    """Bulgaria: YYMMDD (month +20 for the 1800s, +40 for the 2000s), region and sex digits, a mod-11 check."""
    if len(d) != 10:
        return False
    yy, mm, dd = int(d[:2]), int(d[2:4]), int(d[4:6])
    if mm > 40:
        century, mm = 2000, mm - 40
    elif mm > 20:
        century, mm = 1800, mm - 20
    else:
        century = 1900
    if not _valid_date(century + yy, mm, dd):
        return False
    check = _weighted(d, [2, 4, 8, 5, 10, 9, 7, 3, 6]) % 11
    return (0 if check == 10 else check) == int(d[9])


def amka(d: str) -> bool:
    """Greece, social security: DDMMYY then five digits; Luhn."""
    return len(d) == 11 and _either_century(int(d[4:6]), int(d[2:4]), int(d[:2])) and _luhn(d)


def afm(d: str) -> bool:
    """Greece, tax number: eight digits weighted by powers of two, mod 11 mod 10."""
    if len(d) != 9 or d == "0" * 9:
        return False
    return sum(int(x) * 2 ** (8 - i) for i, x in enumerate(d[:8])) % 11 % 10 == int(d[8])


def bsn(d: str) -> bool:
    """Netherlands: the eleven test (weights 9..2, the last digit counted -1)."""
    if len(d) != 9 or d == "0" * 9:
        return False
    return (_weighted(d, [9, 8, 7, 6, 5, 4, 3, 2]) - int(d[8])) % 11 == 0


def isikukood(d: str) -> bool:
    """Estonia: century-and-sex digit, YYMMDD, serial, a two-stage mod-11 check."""
    if len(d) != 11 or d[0] not in "12345678":
        return False
    century = 1800 + (int(d[0]) - 1) // 2 * 100
    if not _valid_date(century + int(d[1:3]), int(d[3:5]), int(d[5:7])):
        return False
    check = _weighted(d, [1, 2, 3, 4, 5, 6, 7, 8, 9, 1]) % 11
    if check == 10:
        check = _weighted(d, [3, 4, 5, 6, 7, 8, 9, 1, 2, 3]) % 11
        check = 0 if check == 10 else check
    return check == int(d[10])


def nir(d: str) -> bool:
    """France: sex, YY, MM, department (2A/2B for Corsica), commune, order, key = 97 - number mod 97."""
    if len(d) != 15:
        return False
    month = int(d[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return False
    number = d[:13].upper().replace("2A", "19").replace("2B", "18")
    return number.isdigit() and 97 - int(number) % 97 == int(d[13:])


def steuer_id(d: str) -> bool:
    """Germany: no leading 0; in the first ten digits one digit appears two or three times and the rest at most once;
    the ISO 7064 MOD 11,10 check digit."""
    if len(d) != 11 or d[0] == "0":
        return False
    counts = sorted((d[:10].count(x) for x in set(d[:10])), reverse=True)
    if counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] != 1):
        return False
    product = 10
    for ch in d[:10]:
        total = (int(ch) + product) % 10 or 10
        product = total * 2 % 11
    check = 11 - product
    return (0 if check == 10 else check) == int(d[10])


def snils(d: str) -> bool:
    """Russia, pension insurance: nine digits weighted 9..1, mod 101 (100 and 101 count as 00)."""
    if len(d) != 11 or int(d[:9]) <= 1001998:  # the check applies above 001-001-998
        return False
    total = _weighted(d, [9, 8, 7, 6, 5, 4, 3, 2, 1])
    check = total % 101
    return (0 if check == 100 else check) == int(d[9:])


def inn12(d: str) -> bool:
    """Russia, a person's taxpayer number: two check digits."""
    if len(d) != 12:
        return False
    first = _weighted(d, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11 % 10
    second = _weighted(d, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11 % 10
    return first == int(d[10]) and second == int(d[11])


def inn10(d: str) -> bool:
    """Russia, an organisation's taxpayer number: one check digit."""
    return len(d) == 10 and _weighted(d, [2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11 % 10 == int(d[9])


def rodne_cislo(d: str) -> bool:
    """Czechia (and Slovakia): YYMMDD (month +50 for women, +20 or +70 when a day ran out) and a suffix; since 1954
    ten digits divisible by 11 (or a remainder of 10 with a last digit 0), before that nine digits."""
    if len(d) not in (9, 10):
        return False
    yy, mm, dd = int(d[:2]), int(d[2:4]) % 50, int(d[4:6])
    if mm > 20:
        mm -= 20
    if len(d) == 9:
        return yy < 54 and _valid_date(1900 + yy, mm, dd)
    if not _either_century(yy, mm, dd):
        return False
    return int(d) % 11 == 0 or (int(d[:9]) % 11 == 10 and d[9] == "0")


CHECKS: dict[str, Callable[[str], bool]] = {
    f.__name__: f for f in (egn, amka, afm, bsn, isikukood, nir, steuer_id, snils, inn12, inn10, rodne_cislo)
}


# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NationalId:
    country: str
    name: str
    check: Callable[[str], bool]
    shapes: tuple[re.Pattern, ...]
    cues: tuple[str, ...]
    cue_words: frozenset[str]  # empty: the number needs no cue word
    example: str


@dataclass(frozen=True)
class RedactionData:
    closings: dict[str, tuple[str, ...]]
    phone_cues: dict[str, tuple[str, ...]]
    national_ids: tuple[NationalId, ...]
    closing_pattern: re.Pattern
    phone_cue_words: frozenset[str]


def _normal_word(word: str) -> str:
    """'Α.Φ.Μ.' -> 'αφμ', 'sofi-nummer' -> 'sofinummer', 'Tel' -> 'tel': how cue words are compared."""
    return word.translate(_CUE_PUNCTUATION).casefold()


def _any_word_of(words) -> str:
    """A regular expression for any of `words` as whole words, the longest tried first."""
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return rf"(?<!\w)(?:{alternatives})(?!\w)"


def parse_data(raw: dict[str, Any]) -> RedactionData:
    try:
        closings = {lang: tuple(words) for lang, words in raw["closings"].items()}
        cues = {lang: tuple(words) for lang, words in raw["phone_cues"].items()}
        ids = []
        for entry in raw["national_ids"]:
            if entry["check"] not in CHECKS:
                raise RedactionDataError(f"national ID {entry['name']!r}: unknown check {entry['check']!r}")
            ids.append(NationalId(
                country=entry["country"], name=entry["name"], check=CHECKS[entry["check"]],
                shapes=tuple(re.compile(rf"(?<![\w+])({shape})(?!\w)") for shape in entry["shapes"]),
                cues=tuple(entry.get("cues", ())), cue_words=frozenset(map(_normal_word, entry.get("cues", ()))),
                example=entry["example"],
            ))
    except (KeyError, TypeError, AttributeError, re.error) as exc:
        raise RedactionDataError(f"{DATA_FILE.name}: {exc!r}") from exc
    # A closing opens a line (after optional indentation) or follows a sentence on the same line.
    any_closing = _any_word_of(w for words in closings.values() for w in words)
    closing_pattern = re.compile(rf"(?:^|(?<=\n)|(?<=[.!?…])[ \t]+)[ \t]*{any_closing}", re.IGNORECASE)
    phone_cue_words = frozenset(_normal_word(w) for words in cues.values() for w in words)
    return RedactionData(closings, cues, tuple(ids), closing_pattern, phone_cue_words)


@lru_cache(maxsize=1)
def load_data() -> RedactionData:
    with DATA_FILE.open(encoding="utf-8") as f:
        return parse_data(yaml.safe_load(f))


# ---------------------------------------------------------------------------------------------------------------

def _iban_valid(compact: str) -> bool:
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _redact_ibans(text: str) -> str:
    def replace(match: re.Match) -> str:
        candidate = match.group()
        # Trailing groups may be a word that follows the IBAN ("... 5678 EUR"): try the longest valid prefix.
        ends = [len(candidate)] + [i for i in range(len(candidate) - 1, 0, -1) if candidate[i] == " "]
        for end in ends:
            if _iban_valid(candidate[:end].replace(" ", "")):
                return IBAN + candidate[end:]
        return candidate

    return _IBAN.sub(replace, text)


def _cue_before(text: str, start: int, cue_words: frozenset[str]) -> bool:
    """Whether one of `cue_words` stands in the few characters before `start`."""
    window_start = max(0, start - _CUE_WINDOW)
    tokens = re.findall(r"[\w.\-]+", text[window_start:start])
    if tokens and window_start > 0 and text[window_start - 1].isalnum():
        tokens = tokens[1:]  # the tail of a word cut by the window ("ho|tel") is no cue
    return any(_normal_word(token) in cue_words for token in tokens)


def _redact_national_ids(text: str, data: RedactionData) -> str:
    if not _LONG_NUMBER.search(text):
        return text
    spans: list[tuple[int, int]] = []
    for nid in data.national_ids:
        for shape in nid.shapes:
            for match in shape.finditer(text):
                start, end = match.span(1)
                if _NUMBER_BEFORE.search(text[max(0, start - 2):start]) or _NUMBER_AFTER.search(text[end:end + 2]):
                    continue
                compact = re.sub(r"[\s./\-]", "", match.group(1))
                if not nid.check(compact):
                    continue
                if nid.cue_words and not _cue_before(text, start, nid.cue_words):
                    continue
                spans.append((start, end))
    return _replace_spans(text, spans, NATIONAL_ID)


def _replace_spans(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue  # overlaps one already replaced
        out += [text[last:start], placeholder]
        last = end
    return "".join(out) + text[last:]


def _looks_like_date(run: str) -> bool:
    for match in _DATE.finditer(run):
        day, month = int(match.group(1)), int(match.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            return True
    return False


def _is_phone(run: str, cued: bool) -> bool:
    digits = re.sub(r"\D", "", run)
    if run.startswith("+"):
        return 8 <= len(digits) <= 15
    if _looks_like_date(run):
        return False
    if cued:
        return _PHONE_MIN_DIGITS <= len(digits) <= 15
    if digits.startswith("00"):
        return 10 <= len(digits) <= 15
    if digits.startswith("0"):
        return 9 <= len(digits) <= 12
    # Russian trunk prefix with the area code in brackets: 8 (495) 123-45-67.
    return bool(re.match(r"8 ?\(\d{3,5}\)", run)) and len(digits) == 11


def _redact_phones(text: str, data: RedactionData) -> str:
    spans = []
    for match in _NUMBER_RUN.finditer(text):
        run = match.group().rstrip(" \u00a0-./(")
        if run.count("(") < run.count(")"):
            run = run.rstrip(")")
        if sum(ch.isdigit() for ch in run) < _PHONE_MIN_DIGITS:
            continue  # article, page, percentage, year: too short to be a phone number, cue or not
        if _is_phone(run, _cue_before(text, match.start(), data.phone_cue_words)):
            spans.append((match.start(), match.start() + len(run)))
    return _replace_spans(text, spans, PHONE)


def _redact_signatures(text: str, data: RedactionData) -> str:
    """From a closing ("Kind regards,") to the end of the short lines under it: name, role, organisation, address."""
    for match in reversed(list(data.closing_pattern.finditer(text))):
        start = match.start() + (len(match.group()) - len(match.group().lstrip()))
        line_end = text.find("\n", match.end())
        line_end = len(text) if line_end < 0 else line_end
        rest = text[match.end():line_end].lstrip(" \t,.!:;-–—")
        if len(rest) > _SIGNATURE_LINE_MAX or "?" in rest or len(rest.split()) > _SIGNATURE_LINE_WORDS:
            continue  # a sentence that merely starts with the words ("Regards to the eligibility of ...")
        end, lines, position = line_end, 0, line_end
        blank_allowed = True
        while position < len(text) and lines < _SIGNATURE_LINES_MAX:
            next_end = text.find("\n", position + 1)
            next_end = len(text) if next_end < 0 else next_end
            line = text[position + 1:next_end].strip()
            if not line:
                if not blank_allowed:
                    break
                blank_allowed = False  # one blank line between the closing and the name
                position = next_end
                continue
            if len(line) > _SIGNATURE_LINE_MAX or "?" in line or len(line.split()) > _SIGNATURE_LINE_WORDS:
                break  # a question or a sentence, not a name, role or address
            end, position, lines = next_end, next_end, lines + 1
            blank_allowed = False
        text = text[:start] + SIGNATURE + text[end:]
    return text


def redact(text: str | None) -> str | None:
    """`text` with personal data replaced by typed placeholders; None stays None."""
    if not text:
        return text
    data = load_data()
    text = _EMAIL.sub(EMAIL, text)
    text = _redact_ibans(text)
    text = _redact_national_ids(text, data)
    text = _redact_phones(text, data)
    return _redact_signatures(text, data)


def redact_json(value: Any) -> Any:
    """Every string inside a JSON-like value redacted (citations sent with feedback are the client's to write)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_json(v) for k, v in value.items()}
    return value
