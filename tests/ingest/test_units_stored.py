"""Every chunk of the sample corpus is stored with one vector per quotable unit, keyed and ordered as the extractive
composer splits it, each the embedding of that unit (in its document and section, by default)."""

from __future__ import annotations

import numpy as np

from common.schema import SearchHit
from common.units import quotable_units, unit_key, unit_passage
from qa.compose.extractive import _units


def test_units_are_stored_aligned_with_the_composers_units(sample_runtime, sample_index):
    store, embedder = sample_runtime.store, sample_runtime.embedder
    _, summary = sample_index
    payloads = dict(store.scroll({}, ["text", "section", "title", "unit_keys", "page_start", "doc_id", "source",
                                      "language"]))
    vectors = store.unit_vectors(list(payloads))
    assert summary.units == sum(len(v) for v in vectors.values()) > len(payloads)
    checked = []
    for point_id, payload in payloads.items():
        hit = SearchHit.from_payload(payload, 0.0, point_id)
        composer_units = _units(hit, 0)
        embedded = [unit_passage(payload["title"], payload.get("section"), u.context)
                    if sample_runtime.settings.chunk.unit_context else u.context for u in composer_units]
        keys = [unit_key(text) for text in embedded]
        assert (payload.get("unit_keys") or []) == keys, payload["text"][:80]
        assert len(vectors.get(point_id, [])) == len(keys)
        if keys:
            checked.append((embedded, vectors[point_id]))
    # Vector i is the embedding of unit i's text as ingest embedded it: check a spread of chunks exactly.
    for embedded, stored in checked[:: max(1, len(checked) // 12)]:
        expected = embedder.embed_passages(embedded)
        stored = np.asarray(stored, dtype=np.float32)
        cosines = np.sum(stored * expected, axis=1) / np.linalg.norm(stored, axis=1) / np.linalg.norm(expected, axis=1)
        assert cosines.min() > 0.999


def test_list_items_and_table_rows_are_units_with_their_introduction():
    text = ("Article 112 – Co-financing rates\nThe co-financing rate may not exceed:\n- 85 % for less developed regions;\n"
            "- 60 % for transition regions.\n\n| Category | Rate |\n|---|---|\n| More developed | 40 % |")
    units = quotable_units(text, "Article 112 – Co-financing rates")
    assert [u.text for u in units] == ["The co-financing rate may not exceed:", "- 85 % for less developed regions;",
                                       "- 60 % for transition regions.", "Category: More developed; Rate: 40 %"]
    assert units[1].context == "The co-financing rate may not exceed: - 85 % for less developed regions;"
    assert unit_passage("CPR", "Article 112", units[1].context).split("\n") == ["CPR", "Article 112", units[1].context]


def test_a_nested_list_is_introduced_by_its_own_item_and_the_outer_list_resumes():
    text = ("1. The following costs are not eligible: a) interest on debt; b) value added tax, except: "
            "i) for operations whose total cost is below EUR 5 000 000; ii) where it is not recoverable under "
            "national law; c) the purchase of land above 10 % of the total eligible expenditure.")
    units = quotable_units(text, None)
    assert [u.text[:3] for u in units] == ["1. ", "a) ", "b) ", "i) ", "ii)", "c) "]
    lead, a, b, i, ii, c = units
    assert a.intro == b.intro == c.intro == lead.position
    assert i.intro == ii.intro == b.position
    assert i.context == f"{b.text} {i.text}"


def test_each_unit_knows_where_it_stands_in_its_chunk():
    """A quote's offset gives it its page: a list item starting with "-" is found where it stands, not at the
    first hyphen after the previous unit's first word ("co-financing")."""
    text = ("Article 112 – Co-financing rates\nThe co-financing rate may not exceed:\n- 85 % for less developed "
            "regions;\n-  60 % for   transition regions.\nThe rate is set in the programme decision.")
    units = quotable_units(text, "Article 112 – Co-financing rates")
    assert all(" ".join(text[u.offset :].split()).startswith(u.text) for u in units)
    assert units[1].offset == text.index("- 85")
