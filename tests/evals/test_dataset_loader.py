"""Loading evaluation questions: the documented fields, validated, with the line at fault named."""

from __future__ import annotations

import json

import pytest

from evals.dataset import DatasetError, EvalQuestion, load_dataset, spread, write_dataset
from tests.evals.conftest import TINY_QUESTIONS


def _write(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


def test_loads_and_round_trips(tiny_dataset, tmp_path):
    questions = load_dataset(tiny_dataset)
    assert [q.id for q in questions] == ["coffee", "velo", "bees", "submarine"]
    assert questions[1].facts == [["500 euros", "500 Euro"]] and questions[3].answerable is False
    copy = tmp_path / "copy.jsonl"
    write_dataset(copy, questions)
    assert [json.loads(line) for line in copy.read_text(encoding="utf-8").splitlines()] == TINY_QUESTIONS


@pytest.mark.parametrize("change, message", [
    ({"answerable": "yes"}, "answerable"),
    ({"facts": [["a"], []]}, "at least one"),
    ({"facts": [3]}, "facts"),
    ({"colour": "red"}, "colour"),
    ({"question": ""}, "question"),
])
def test_invalid_lines_are_refused_with_their_line_number(tmp_path, change, message):
    path = _write(tmp_path / "bad.jsonl", [TINY_QUESTIONS[0], "", {**TINY_QUESTIONS[1], **change}])
    with pytest.raises(DatasetError, match=rf"(?s)bad.jsonl:3: .*{message}"):
        load_dataset(path)


def test_missing_field_duplicate_id_broken_json_and_empty_file(tmp_path):
    missing = {k: v for k, v in TINY_QUESTIONS[0].items() if k != "language"}
    with pytest.raises(DatasetError, match="language"):
        load_dataset(_write(tmp_path / "a.jsonl", [missing]))
    with pytest.raises(DatasetError, match=":2: duplicate id 'coffee'"):
        load_dataset(_write(tmp_path / "b.jsonl", [TINY_QUESTIONS[0], TINY_QUESTIONS[0]]))
    with pytest.raises(DatasetError, match=":1: "):
        load_dataset(_write(tmp_path / "c.jsonl", ["{not json"]))
    with pytest.raises(DatasetError, match="no questions"):
        load_dataset(_write(tmp_path / "d.jsonl", [""]))


def test_the_model_forbids_unknown_fields():
    with pytest.raises(ValueError):
        EvalQuestion(**TINY_QUESTIONS[0], difficulty="hard")


def test_spread_picks_an_evenly_spaced_subset():
    assert spread(list(range(10)), 4) == [0, 2, 5, 7]
    assert spread([1, 2], 5) == [1, 2] and spread([1, 2], None) == [1, 2]
