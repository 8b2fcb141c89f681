"""A tiny three-document corpus in three languages and four questions about it, written fresh for each test;
a writer of SQuAD-format files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TINY_DOCS = {
    "coffee.md": "# Coffee roasting grant\n\nThe coffee roasting grant covers up to 70 % of the cost of roasting "
                 "equipment. Applications close on 31 March every year.\n",
    "velo.md": "# Aide au vélo cargo\n\nL'aide au vélo cargo rembourse 500 euros par ménage. La demande se fait en "
               "ligne auprès de la mairie.\n",
    "bienen.md": "# Förderung für Imker\n\nImker erhalten 40 Euro pro Bienenvolk und Jahr. Der Antrag ist beim "
                 "Landesamt für Landwirtschaft zu stellen.\n",
}
TINY_QUESTIONS = [
    {"id": "coffee", "question": "What share of the cost of roasting equipment does the coffee grant cover?",
     "language": "en", "answerable": True, "evidence": ["up to 70 % of the cost of roasting equipment"],
     "facts": ["70 %"], "tags": ["same-language"]},
    {"id": "velo", "question": "Wie viel Geld gibt es pro Haushalt für ein Lastenfahrrad?", "language": "de",
     "answerable": True, "evidence": ["rembourse 500 euros par ménage"], "facts": [["500 euros", "500 Euro"]],
     "tags": ["cross-lingual"]},
    {"id": "bees", "question": "How much do beekeepers receive per bee colony?", "language": "en",
     "answerable": True, "evidence": ["40 Euro pro Bienenvolk"], "facts": ["40 Euro"], "tags": ["cross-lingual"]},
    {"id": "submarine", "question": "Which agency funds deep-sea submarine research?", "language": "en",
     "answerable": False, "evidence": [], "facts": [], "tags": ["unanswerable"]},
]


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    folder = tmp_path / "tiny-corpus"
    folder.mkdir()
    for name, text in TINY_DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_dataset(tmp_path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in TINY_QUESTIONS), encoding="utf-8")
    return path


def write_squad(path: Path, articles: list[tuple[str, list[tuple[str, list[tuple[str, str]]]]]]) -> Path:
    """A SQuAD v1.1-format file from (title, [(context, [(question, answer), ...]), ...]) articles."""
    data = {"version": "1.1", "data": [
        {"title": title, "paragraphs": [
            {"context": context, "qas": [
                {"id": f"{title}-{p}-{q}", "question": question,
                 "answers": [{"text": answer, "answer_start": max(context.find(answer), 0)}]}
                for q, (question, answer) in enumerate(qas)]}
            for p, (context, qas) in enumerate(paragraphs)]}
        for title, paragraphs in articles]}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path
