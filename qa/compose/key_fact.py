"""The key fact restated in the asker's language: a labelled value, no LLM ("Срок: 31 декември 2029 г. [1]").

Labels per language and type live in `qa/data/key_fact_labels.yaml`; values are rendered with the asker's
locale through Babel. A value the locale cannot render keeps the form it has in the source.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from babel.units import format_unit

from common.answer_types import TypedValue

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def key_fact_labels() -> dict[str, dict[str, str]]:
    return yaml.safe_load((DATA_DIR / "key_fact_labels.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def example_headings() -> dict[str, list[str]]:
    return yaml.safe_load((DATA_DIR / "example_headings.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _example_heading_pattern() -> re.Pattern[str]:
    words = {word for words in example_headings().values() for word in words}
    alternatives = [re.escape(w[1:].casefold()) if w.startswith("~") else rf"(?<!\w){re.escape(w.casefold())}"
                    for w in sorted(words, key=len, reverse=True)]
    return re.compile(rf"(?:{'|'.join(alternatives)})(?!\w)")


# "Article 112 – ", "Άρθρο 112 – ", "3. ": a numbered heading's label, before its words.
_HEADING_LABEL = re.compile(r"^[^\d–—:]{0,20}\d[\d.]*\s*[–—:.-]?\s*")


def in_worked_example(section: str | None) -> bool:
    """Whether a section's own heading (the last of its path) heads a worked example: one of its first two words,
    after a numbered label, is an example word of any served language ("Exemple chiffré", "Worked example",
    "Rechenbeispiel", "Пример с изчисление"), as a guide in one language may head its examples in another. A heading
    naming an example after its subject ("Άρθρο 112 – Συγχρηματοδότηση και παράδειγμα") covers rules too."""
    if not section:
        return False
    heading = _HEADING_LABEL.sub("", section.split("›")[-1].strip(), count=1)
    return bool(_example_heading_pattern().search(" ".join(heading.casefold().split()[:2])))


def label(kind: str, language: str) -> str:
    labels = key_fact_labels()
    return (labels.get(language) or labels["en"])[kind]


def _integral(number: Decimal) -> bool:
    return number == number.to_integral_value()


def render_value(value: TypedValue, language: str) -> str:
    """The value in the asker's locale; the source's own form when the locale cannot render it."""
    try:
        if value.kind == "rate":
            return format_percent(Decimal(value.value) / 100, locale=language, decimal_quantization=False)
        if value.kind == "amount":
            pattern = Locale.parse(language).currency_formats["standard"].pattern
            if _integral(value.value):
                pattern = pattern.replace(".00", "")  # "100 000 €", not "100 000,00 €"
            return format_currency(value.value, value.currency or "EUR", format=pattern, locale=language,
                                   currency_digits=False)
        if value.kind == "date":
            return format_date(value.value, format="long", locale=language)
        if value.kind == "duration":
            number, unit = value.value
            return format_unit(number, f"duration-{unit}", length="long", locale=language)
        if value.kind == "count":
            return format_decimal(value.value, locale=language)
    except Exception as exc:  # noqa: BLE001 - any locale gap falls back to the source's form
        log.debug("cannot render %r in %s: %s", value.text, language, exc)
    return value.text


def key_fact_line(values: list[tuple[TypedValue, str]], language: str, kind: str | None = None) -> str:
    """'Ставка: 85 % [1]' or, for several distinct values, 'Ставка: 85 % [1]; 60 % [2]'; `kind` (the asked
    type) names the label, by default the first value's kind."""
    kind = kind or values[0][0].kind
    rendered = "; ".join(f"{render_value(value, language)} {marker}" for value, marker in values)
    return f"{label(kind, language)}: {rendered}"
