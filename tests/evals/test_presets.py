"""Presets override query-time settings only, leaving the rest (and the index key) alone."""

from __future__ import annotations

import pytest

from common.settings import RetrievalSettings, Settings
from evals.corpus_index import index_key
from evals.presets import PRESETS, PresetError, apply_preset, parse_presets


def test_presets_override_the_search_settings(tmp_path):
    base = Settings(data_dir=tmp_path, search=RetrievalSettings(mode="dense", language_boost=0.02))
    assert apply_preset(base, "sparse").search.mode == "sparse"
    weighted = apply_preset(base, "hybrid-w0.5").search
    assert (weighted.mode, weighted.sparse_weight) == ("hybrid", 0.5)
    unboosted = apply_preset(base, "no-language-boost")
    assert unboosted.search.language_boost == 0.0 and unboosted.search.mode == base.search.mode
    assert apply_preset(base, "configured") == base
    assert (base.search.mode, base.search.language_boost) == ("dense", 0.02)  # the original is not changed


def test_no_preset_changes_the_index(tiny_corpus, tmp_path):
    base = Settings(data_dir=tmp_path)
    assert {index_key(tiny_corpus, apply_preset(base, name)) for name in PRESETS} == {index_key(tiny_corpus, base)}


def test_preset_lists_are_checked():
    assert parse_presets(" dense,sparse,,dense, hybrid ") == ["dense", "sparse", "hybrid"]
    with pytest.raises(PresetError, match="unknown preset 'bm25'.*dense"):
        parse_presets("dense,bm25")
    with pytest.raises(PresetError):
        parse_presets(" , ")
