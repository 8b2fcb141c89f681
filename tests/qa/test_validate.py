from qa.compose.validate import check_answer


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
