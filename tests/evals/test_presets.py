"""Presets override query-time settings only, leaving the rest (and the index key) alone."""

from __future__ import annotations

import pytest

from common.settings import RetrievalSettings, Settings
from evals.corpus_index import index_key
from evals.presets import PRESETS, PresetError, apply_preset, parse_presets


def test_presets_override_the_search_settings(tmp_path):
    base = Settings(data_dir=tmp_path, search=RetrievalSettings(mode="dense", language_boost=0.05))
    assert apply_preset(base, "sparse").search.mode == "sparse"
    weighted = apply_preset(base, "hybrid-w0.5").search
    assert (weighted.mode, weighted.sparse_weight) == ("hybrid", 0.5)
    boosted = apply_preset(base, "language-boost")
    assert boosted.search.language_boost == 0.02 and boosted.search.mode == base.search.mode
    assert apply_preset(base, "configured") == base
    assert (base.search.mode, base.search.language_boost) == ("dense", 0.05)  # the original is not changed


def test_every_preset_does_something_of_its_own_with_the_defaults(tmp_path):
    """A preset that repeats another one's settings (or the defaults' with nothing named) is a comparison with
    itself: "no-language-boost" once set the boost to the default 0 and measured nothing."""
    base = Settings(data_dir=tmp_path)
    named = {name: apply_preset(base, name) for name in PRESETS if name != "configured"}
    same = [(a, b) for a in named for b in named if a < b and named[a] == named[b]]
    assert not same, f"presets with identical settings over the defaults: {same}"
    assert all(PRESETS[name] for name in named), "only 'configured' may override nothing"


def test_no_preset_changes_the_index(tiny_corpus, tmp_path):
    base = Settings(data_dir=tmp_path)
    assert {index_key(tiny_corpus, apply_preset(base, name)) for name in PRESETS} == {index_key(tiny_corpus, base)}


def test_preset_lists_are_checked():
    assert parse_presets(" dense,sparse,,dense, hybrid ") == ["dense", "sparse", "hybrid"]
    with pytest.raises(PresetError, match="unknown preset 'bm25'.*dense"):
        parse_presets("dense,bm25")
    with pytest.raises(PresetError):
        parse_presets(" , ")
