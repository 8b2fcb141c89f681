"""Parallel language versions: a hit from an article of an act that is also indexed in the asker's language gives
way to that version's passage (issue 11, item 7)."""

from __future__ import annotations

import pytest

from common.anchors import version_key
from common.runtime import Runtime
from ingest.pipeline import Ingestor
from qa.retriever import Retriever


def _act(title: str, language: str, url: str, articles: dict[str, str]) -> str:
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in articles.items())
    return f"---\ntitle: \"{title}\"\nlanguage: {language}\nsource_url: \"{url}\"\n---\n# {title}\n\n{body}\n"


CPR = "https://eur-lex.europa.eu/eli/reg/2021/1060/oj"
ESF = "https://eur-lex.europa.eu/eli/reg/2021/1057/oj"
DOCS = {
    "cpr-en.md": _act("Regulation (EU) 2021/1060 (Common Provisions)", "en", CPR, {
        "Article 112 Co-financing rates": "The co-financing rate at the level of each priority shall not exceed "
                                          "85 % for the less developed regions.",
        "Article 63 Eligibility": "Expenditure shall be eligible if incurred between 1 January 2021 and "
                                  "31 December 2029."}),
    "cpr-fr.md": _act("Règlement (UE) 2021/1060 portant dispositions communes", "fr", CPR, {
        "Article 112 Taux de cofinancement": "Le taux de cofinancement au niveau de chaque priorité n'excède pas "
                                             "85 % pour les régions moins développées.",
        "Article 63 Éligibilité": "Les dépenses sont éligibles si elles ont été engagées entre le 1er janvier 2021 "
                                  "et le 31 décembre 2029."}),
    # Another act with an article 112 in French, worded closer to the question (it quotes the English term):
    # the act must match too, not only the article.
    "other-fr.md": _act("Règlement (UE) 2021/1057 FSE+", "fr", ESF, {
        "Article 112 Taux": "Le « maximum co-financing rate for the less developed regions » du FSE+ est fixé par "
                            "le programme."}),
}
QUESTION = "What is the maximum co-financing rate for the less developed regions?"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory, embedding_cache_dir):
    from common.settings import Settings

    folder = tmp_path_factory.mktemp("versions")
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("versions-data")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    runtime = Runtime(Settings(data_dir=data_dir))
    assert Ingestor(runtime.settings, runtime.store, runtime.embedder).ingest([folder]).ok
    yield runtime
    runtime.close()


def _retriever(runtime, **search):
    settings = runtime.settings.model_copy(update={"search": runtime.settings.search.model_copy(update=search)})
    return Retriever(settings, runtime.store, runtime.embedder)


def test_version_keys_name_the_act_and_the_article():
    assert version_key("Регламент (ЕС) 2021/1060", None, "Член 112") == (frozenset({"act:cpr"}), "art:112")
    assert version_key("Taux de cofinancement", CPR, "Guide › Article 112 – Taux") == (frozenset({"act:cpr"}),
                                                                                      "art:112")
    assert version_key("A guide", None, "Article 112") is None  # no act: nothing to align with
    assert version_key("Regulation (EU) 2021/1060", None, "Tips") is None  # no article


def test_the_askers_version_of_the_same_article_replaces_the_hit(runtime):
    # The question is English text; the asker is French (as a French user pasting an English phrase would be).
    plain = _retriever(runtime, asker_version=False).search(QUESTION, language="fr", k=4)
    assert plain.hits[0].language == "en" and "Article 112" in plain.hits[0].section
    swapped = _retriever(runtime, asker_version=True).search(QUESTION, language="fr", k=4)
    top = swapped.hits[0]
    assert (top.language, top.title) == ("fr", "Règlement (UE) 2021/1060 portant dispositions communes")
    assert "Article 112" in top.section and top.score == plain.hits[0].score
    # the other act's article 112 was closer to the question than the CPR's French one, yet is not its version
    scores = {h.title: h.score for h in plain.hits}
    assert scores["Règlement (UE) 2021/1057 FSE+"] > scores["Règlement (UE) 2021/1060 portant dispositions communes"]
    # the French version moved up to the English hit's rank: it is not repeated further down
    assert len({h.chunk_id for h in swapped.hits}) == len(swapped.hits)
    assert [h.title for h in swapped.hits].count("Règlement (UE) 2021/1060 portant dispositions communes") == 2


def test_without_a_version_in_the_askers_language_the_hit_stays(runtime):
    hits = _retriever(runtime, asker_version=True).search(QUESTION, language="bg", k=3).hits
    assert hits[0].language == "en"  # no Bulgarian version indexed


def test_a_language_filter_is_respected(runtime):
    hits = _retriever(runtime, asker_version=True).search(QUESTION, language="fr", k=3, filters={"language": "en"}).hits
    assert hits and all(h.language == "en" for h in hits)
