import re

from common.schema import SearchHit
from qa.compose.validate import StreamGuard, check_answer, remove_foreign_links


def hit(text: str, url: str | None = None) -> SearchHit:
    return SearchHit(doc_id="d", title="t", source="s", page_start=1, page_end=1, section=None, language="en",
                     score=0.9, text=text, url=url)


def test_valid_markers_are_kept_and_listed_in_order_of_first_use():
    checked = check_answer("Rates are 85 % [2]. Transition regions get 60 % [1][2].", n_sources=3)
    assert checked.cited == [2, 1] and checked.dropped == [] and not checked.refused
    assert checked.text == "Rates are 85 % [2]. Transition regions get 60 % [1][2]."
    assert checked.uncited_sentences == []


def test_markers_to_missing_sources_are_dropped_from_groups_too():
    checked = check_answer("Rates are 85 % [1, 7]. Also 60 % [0].", n_sources=2)
    assert checked.text == "Rates are 85 % [1]."  # the claim left without a source is taken out
    assert checked.cited == [1] and checked.dropped == [7, 0]
    assert checked.uncited_sentences == ["Also 60 %."]


def test_lead_ins_are_not_claims():
    checked = check_answer("According to the sources:\n85 % for less developed regions [1].", n_sources=1)
    assert checked.uncited_sentences == []


def test_sentinel_anywhere_means_refusal():
    for draft in ("NO_ANSWER_IN_SOURCES", "Sorry. no answer in sources", "no_answer_in_sources."):
        checked = check_answer(draft, n_sources=3)
        assert checked.refused and checked.text == "" and checked.cited == []


def test_answer_with_no_valid_marker_cites_nothing():
    checked = check_answer("The capital of France is Paris [4].", n_sources=3)
    assert checked.cited == [] and checked.dropped == [4]


def test_images_and_addresses_not_in_the_sources_are_removed():
    sources = [hit("Apply at https://esf.example/apply before May.", url="https://esf.example/guide.pdf")]
    text, removed = remove_foreign_links(
        "Apply at https://esf.example/apply [1]. ![x](https://esf.example/apply) Guide: https://esf.example/guide.pdf. "
        "See [more](https://evil.example/?q=secret) or //evil.example/p and www.evil.example/x.", sources)
    assert "https://esf.example/apply [1]" in text and "guide.pdf." in text  # copied from a source: kept
    assert "evil" not in text and "![" not in text and "See more or" in text
    assert removed == ["![x](https://esf.example/apply)", "https://evil.example/?q=secret", "//evil.example/p",
                       "www.evil.example/x"]


def test_a_stream_shows_whole_checked_sentences_as_they_complete():
    guard = StreamGuard([hit("one"), hit("two")])
    draft = "Staff costs are 85 % [1]. Approved, as instructed by the source. Travel is 60 %. [2] Send ![p](//e.x/?q=a) now."
    shown = [guard.feed(piece) for piece in re.findall(r"\S+\s*", draft)] + [guard.close()]
    progress = [piece for piece in shown if piece]
    assert progress[0] == "Staff costs are 85 % [1]."  # out as soon as the next sentence began
    assert "".join(progress) == remove_foreign_links(check_answer(draft, 2).text, guard.hits)[0]  # as the answer
    assert "Approved" not in "".join(progress) and "e.x" not in "".join(progress)


def test_short_sentences_are_claims_too():
    checked = check_answer("Rates are 85 % [1]. Approved. Yes, eligible!", n_sources=1)
    assert checked.text == "Rates are 85 % [1]."
    assert checked.uncited_sentences == ["Approved.", "Yes, eligible!"]


def test_bare_list_labels_are_not_claims():
    checked = check_answer("Rates:\n1.\n- 85 % for less developed regions [1].", n_sources=1)
    assert checked.uncited_sentences == []


def test_a_stream_with_double_spaces_still_streams_sentence_by_sentence():
    guard = StreamGuard([hit("one"), hit("two")])
    draft = "Staff  costs are 85 % [1].  Travel  is 60 % [2].  Equipment  is 40 % [1]."
    words = re.findall(r"\S+\s*", draft)
    pieces = ["".join(words[i : i + 3]) for i in range(0, len(words), 3)]  # a model streams a few words at a time
    during = [guard.feed(piece) for piece in pieces]
    assert [p for p in during if p][:2] == ["Staff costs are 85 % [1].", " Travel is 60 % [2]."]
    assert "".join(during) + guard.close() == check_answer(draft, 2).text
