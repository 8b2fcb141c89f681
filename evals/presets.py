"""Named configurations to evaluate: overrides of query-time settings, so that all of them share one index.

Applied to the default settings, no two presets other than "configured" give the same settings: a preset that
repeats the defaults would be compared against itself. The mode presets name their mode even when it is the
default, so that a comparison holds whatever the environment sets.
"""

from __future__ import annotations

from typing import Any

from common.settings import Settings

# Sub-settings group -> field -> value.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "configured": {},
    "dense": {"search": {"mode": "dense"}},
    "sparse": {"search": {"mode": "sparse"}},
    "hybrid": {"search": {"mode": "hybrid"}},
    "hybrid-w0.5": {"search": {"mode": "hybrid", "sparse_weight": 0.5}},
    "hybrid-w1": {"search": {"mode": "hybrid", "sparse_weight": 1.0}},
    # The default adds no boost; this measures what a small one does (it was measured to cost cross-lingual recall).
    "language-boost": {"search": {"language_boost": 0.02}},
    # The question alone, without the glossary's terms in the documents' languages (qa/glossary.py).
    "no-glossary": {"search": {"glossary": False}},
    # The two composers over the same passages: the LLM one needs HELPDESK_LLM_GGUF or HELPDESK_LLM_BASE_URL.
    "extractive": {"answer": {"composer": "extractive"}},
    "llm": {"answer": {"composer": "llm"}},
    # The question also searched in English and French (needs an LLM to translate); extractive answers, so that
    # against the "extractive" preset only retrieval differs.
    "translate-en-fr": {"search": {"translate_to": "en,fr"}, "answer": {"composer": "extractive"}},
    # English alone: what a small model translates into best (README, "A local LLM").
    "translate-en": {"search": {"translate_to": "en"}, "answer": {"composer": "extractive"}},
}


class PresetError(ValueError):
    """A preset name that is not defined."""


def check_preset(name: str) -> str:
    if name not in PRESETS:
        raise PresetError(f"unknown preset {name!r}; use one of: {', '.join(PRESETS)}")
    return name


def apply_preset(settings: Settings, name: str) -> Settings:
    """`settings` with the preset's overrides; "configured" leaves them as the environment set them."""
    overrides = PRESETS[check_preset(name)]
    groups = {group: getattr(settings, group).model_copy(update=fields) for group, fields in overrides.items()}
    return settings.model_copy(update=groups)


def parse_presets(names: str) -> list[str]:
    """The names in "dense,sparse, hybrid", checked, in order, without repeats."""
    chosen = list(dict.fromkeys(name.strip() for name in names.split(",") if name.strip()))
    if not chosen:
        raise PresetError("no preset named")
    return [check_preset(name) for name in chosen]
