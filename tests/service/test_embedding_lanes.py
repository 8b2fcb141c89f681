"""The service's two embedding lanes (service/api/lanes.py), as the app wires them: a short question is embedded
while a long text's embedding holds the other lane's model, and long texts wait only for their own lane."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from common.settings import Settings
from service.api.lanes import SHORT_LANE_CHARS, LaneEmbedder
from service.api.state import AppState

SHORT = "Which costs are eligible under the ESF+ programme?"
LONG = ("Beneficiaries in less developed regions ask which costs are eligible, how the co-financing rate is set "
        "and which flat rates apply to indirect costs. ") * 8


def _model(embedder):
    """The engine behind the lane's cache: the object whose lock serialises its calls."""
    while getattr(embedder, "inner", None) is not None:
        embedder = embedder.inner
    return embedder


def test_a_short_question_never_waits_behind_a_long_texts_embedding(tmp_path):
    assert len(SHORT) <= SHORT_LANE_CHARS < len(LONG)
    state = AppState(Settings(data_dir=tmp_path))
    try:
        lanes = state.helpdesk.embedder
        assert isinstance(lanes, LaneEmbedder)
        lanes.embed_queries([SHORT + " (warm)"])
        assert lanes._long is None  # loaded on the first long text only
        first = lanes.embed_queries([LONG])
        assert lanes._long is not None, "a long text was embedded without loading the long lane"
        short_model, long_model = _model(lanes.short), _model(lanes._long)
        assert long_model is not short_model, "both lanes embed with one model instance: one set of run slots for both"
        # The same model in both lanes: a text's vector does not depend on the lane that embedded it.
        assert np.allclose(first, short_model.embed_queries([LONG]), atol=1e-5)

        with ThreadPoolExecutor(2) as pool:
            # The long lane busy, as while it embeds a maximum-size text: every one of its run slots taken.
            for _ in range(long_model.workers):
                long_model._slots.acquire()
            try:
                short = pool.submit(lanes.embed_queries, [SHORT])
                assert short.result(timeout=30).shape == first.shape, "a short question waited for the long lane"
                waiting = pool.submit(lanes.embed_queries, [LONG + " Another long text."])
                time.sleep(0.5)
                assert not waiting.done(), "a long text was embedded in the short questions' lane"
            finally:
                for _ in range(long_model.workers):
                    long_model._slots.release()
            assert waiting.result(timeout=60).shape == first.shape
    finally:
        state.close()
