"""Language-neutral anchors: funds, acts, articles and percentages named alike across languages."""

from __future__ import annotations

import pytest

from common.anchors import article_languages, chunk_anchors, name_keys, question_anchors
from common.settings import SERVED_LANGUAGES


@pytest.mark.parametrize("question, expected", [
    ("Каква е ставката според Регламент (ЕС) 2021/1060?", {"act:cpr"}),
    ("Welcher Satz gilt nach der Dachverordnung?", {"act:cpr"}),
    ("Kui suure lisaeraldise näeb ühissätete määrus ette?", {"act:cpr"}),
    ("Abaixo de que custo uma operação do FEDER ou do FSE+ tem de utilizar custos unitários?", {"fund:erdf", "fund:esf+"}),
    ("Wie hoch ist der ESF+-Zuschuss?", {"fund:esf+"}),
    ("Qual è il tasso del Fondo di coesione?", {"fund:cf"}),
    ("Milline asutus täidab ülesandeid artikli 71 tähenduses?", {"art:71"}),
    ("Can technical assistance be financed at a rate of 100 %?", {"pct:100"}),
    ("What is the co-financing rate for less developed regions?", set()),
    ("Wie hoch war der Umsatz 2023?", set()),
])
def test_question_anchors(question, expected):
    assert question_anchors(question) == expected


def test_chunk_anchors_take_the_acts_title_its_own_article_and_percentages():
    anchors = chunk_anchors("RÈGLEMENT (UE) 2021/1060 DU PARLEMENT EUROPÉEN", "Article 112 Taux de cofinancement",
                            "a) 85 % pour les régions moins développées, visées à l'article 108; FSE+ et FEDER")
    assert anchors == ["act:cpr", "art:112", "fund:erdf", "fund:esf+", "pct:85"]  # not art:108, a cross-reference


def test_anchor_tables_cover_every_served_language():
    assert set(SERVED_LANGUAGES) <= article_languages()
    assert {"fund:esf+", "fund:erdf", "fund:cf", "fund:jtf", "act:cpr"} <= name_keys()
