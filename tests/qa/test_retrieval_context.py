"""Retrieval prefers the programming period and the country a question names (or the current period)."""

from __future__ import annotations

import pytest

from common.answer_types import asked_value_kinds
from common.runtime import Runtime
from common.store import Hit
from ingest.pipeline import Ingestor
from qa.retriever import FilterError, Retriever, parse_filters, prefer_answer_type, prefer_context

RULE = ("The maximum co-financing rate of the European Social Fund for a project is {rate} % of the eligible "
        "costs, and the beneficiary keeps all supporting documents for five years after the final payment.")


def _doc(period: str, country: str, rate: int) -> str:
    return (f"---\ntitle: ESF subsidy scheme\nlanguage: en\nperiod: {period}\ncountry: {country}\n---\n"
            f"# ESF subsidy scheme\n\n## Article 4 Subsidy\n\n{RULE.format(rate=rate)}\n")


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, embedding_cache_dir):
    from common.settings import Settings

    folder = tmp_path_factory.mktemp("periods")
    (folder / "nl-2007.md").write_text(_doc("2007-2013", "NL", 50), encoding="utf-8")
    (folder / "nl-2014.md").write_text(_doc("2014-2020", "NL", 40), encoding="utf-8")
    (folder / "ee-2021.md").write_text(_doc("2021-2027", "EE", 85), encoding="utf-8")
    (folder / "fr-2021.md").write_text(_doc("2021-2027", "FR", 60), encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("periods-data")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    runtime = Runtime(Settings(data_dir=data_dir))
    assert Ingestor(runtime.settings, runtime.store, runtime.embedder).ingest([folder]).ok
    yield lambda **search: Retriever(
        runtime.settings.model_copy(update={"search": runtime.settings.search.model_copy(update=search)}),
        runtime.store, runtime.embedder)
    runtime.close()


def _first(retriever, question: str) -> str:
    return retriever.search(question, k=4).hits[0].source.rsplit("/", 1)[-1]


def test_a_named_period_is_preferred(retriever):
    assert _first(retriever(), "What was the maximum ESF co-financing rate in the Netherlands in 2007-2013?") == "nl-2007.md"
    assert _first(retriever(), "What was the maximum ESF co-financing rate in the Netherlands in 2014-2020?") == "nl-2014.md"


def test_a_named_country_is_preferred_and_the_current_period_by_default(retriever):
    assert _first(retriever(), "What is the maximum ESF co-financing rate in Estonia?") == "ee-2021.md"
    assert _first(retriever(), "Quel est le taux maximal de cofinancement du FSE en France ?") == "fr-2021.md"
    top2 = {h.source.rsplit("/", 1)[-1] for h in retriever().search("What is the maximum ESF co-financing rate?", k=4).hits[:2]}
    assert top2 == {"ee-2021.md", "fr-2021.md"}


def test_without_the_penalties_the_old_period_can_win(retriever):
    """Control: the preference, not chance, ranks the named period first."""
    plain = retriever(period_penalty=0.0, country_penalty=0.0)
    firsts = [_first(plain, f"What was the maximum ESF co-financing rate in the Netherlands in {p}?")
              for p in ("2007-2013", "2014-2020")]
    # The four documents differ only in their rate: without the preference the named period does not win both.
    assert firsts != ["nl-2007.md", "nl-2014.md"], firsts


def test_prefer_context_keeps_documents_of_no_period_or_country():
    hits = [Hit("a", 0.90, {"period": "2007-2013", "country": "NL"}), Hit("b", 0.89, {}),
            Hit("c", 0.88, {"period": "2021-2027", "country": "EE"})]
    ranked = prefer_context(hits, [], ["EE"], 0.02, 0.02)
    assert [h.id for h in ranked] == ["b", "c", "a"]
    assert prefer_context(hits, [], [], 0.0, 0.0) == hits


def test_unknown_period_or_country_filters_are_named_errors():
    with pytest.raises(FilterError, match="period"):
        parse_filters(["period=2022-2028"])
    with pytest.raises(FilterError, match="country"):
        parse_filters(["country=Atlantis"])
    assert parse_filters(["period=2021–27", "country=gr"]) == {"period": "2021-2027", "country": "EL"}


@pytest.fixture(scope="module")
def fund_retriever(tmp_path_factory, embedding_cache_dir):
    from common.settings import Settings

    folder = tmp_path_factory.mktemp("funds")
    (folder / "feder.md").write_text("---\ntitle: Guide FEDER\nlanguage: fr\n---\n# Taux\n\nLe taux de "
                                     "cofinancement du FEDER pour les régions moins développées est de 85 %.\n",
                                     encoding="utf-8")
    (folder / "fse.md").write_text("---\ntitle: Guide\nlanguage: fr\n---\n# Emploi\n\nLe FSE+ soutient "
                                   "l'emploi des jeunes et l'inclusion sociale dans les régions.\n", encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("funds-data")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    runtime = Runtime(Settings(data_dir=data_dir))
    assert Ingestor(runtime.settings, runtime.store, runtime.embedder).ingest([folder]).ok
    yield lambda weight: Retriever(
        runtime.settings.model_copy(update={"search": runtime.settings.search.model_copy(update={"anchor_weight": weight})}),
        runtime.store, runtime.embedder)
    runtime.close()


def test_a_shared_fund_name_lifts_a_passage_in_another_language(fund_retriever):
    question = "Какъв е процентът на съфинансиране по ЕСФ+?"
    first = lambda weight: fund_retriever(weight).search(question, k=2).hits[0].source.rsplit("/", 1)[-1]
    assert first(0.0) == "feder.md"  # control: by meaning alone the co-financing passage wins
    assert first(0.5) == "fse.md"    # the ESF+ anchor (ЕСФ+ = FSE+) decides once it weighs enough


class CountingStore:
    """The real store, with its count() calls tallied."""

    def __init__(self, store) -> None:
        self.store, self.counts = store, 0

    def count(self, *args, **kwargs):
        self.counts += 1
        return self.store.count(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_anchor_frequencies_are_counted_once_while_the_index_is_unchanged(fund_retriever):
    retriever = fund_retriever(0.04)
    retriever.store = CountingStore(retriever.store)
    question = "Какъв е процентът на съфинансиране по ЕСФ+ и ЕФРР?"
    first = retriever.search(question, k=2)
    first_counts, retriever.store.counts = retriever.store.counts, 0
    again = retriever.search(question, k=2)
    assert first_counts >= 3 and retriever.store.counts == 1  # the total only: it keys the remembered counts
    assert [h.chunk_id for h in again.hits] == [h.chunk_id for h in first.hits]
    before = retriever.store.counts
    retriever._anchor_frequency("fund:esf+", 10_000)  # another total, as after an ingest: counted afresh
    assert retriever.store.counts == before + 1


@pytest.fixture(scope="module")
def typed_retriever(tmp_path_factory, embedding_cache_dir):
    from common.settings import Settings

    folder = tmp_path_factory.mktemp("typed")
    (folder / "decision.md").write_text(
        "---\ntitle: Programme rules\nlanguage: en\n---\n# Article 7 Co-financing\n\nThe maximum co-financing rate "
        "for each priority of a programme is laid down in the Commission decision approving the programme.\n",
        encoding="utf-8")
    (folder / "ceiling.md").write_text(
        "---\ntitle: Programme rules\nlanguage: en\n---\n# Article 8 Ceiling\n\nThe co-financing rate for each "
        "priority of a programme shall not exceed 85 % of the eligible expenditure it declares.\n",
        encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("typed-data")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    runtime = Runtime(Settings(data_dir=data_dir))
    assert Ingestor(runtime.settings, runtime.store, runtime.embedder).ingest([folder]).ok
    yield runtime, lambda weight: Retriever(
        runtime.settings.model_copy(update={"search": runtime.settings.search.model_copy(
            update={"answer_type_weight": weight})}), runtime.store, runtime.embedder)
    runtime.close()


def test_a_passage_stating_the_kind_of_value_asked_for_is_preferred(typed_retriever):
    _, retriever = typed_retriever
    question = "What is the maximum co-financing rate for each priority?"
    scores = lambda weight: {h.source.rsplit("/", 1)[-1]: h.score for h in retriever(weight).search(question, k=2).hits}
    plain = scores(0.0)
    gap = plain["decision.md"] - plain["ceiling.md"]
    assert gap > 0  # control: by meaning alone the rule without a rate wins
    typed = scores(gap + 0.01)
    assert typed["ceiling.md"] == pytest.approx(plain["ceiling.md"] + gap + 0.01)  # only the rate's passage gains
    assert typed["decision.md"] == pytest.approx(plain["decision.md"])
    # A question asking for no value changes nothing.
    other = "Which body approves the programme?"
    assert ([h.chunk_id for h in retriever(0.02).search(other, k=2).hits]
            == [h.chunk_id for h in retriever(0.0).search(other, k=2).hits])


def test_value_kinds_are_stored_at_ingest_and_read_from_the_text_of_older_chunks(typed_retriever):
    runtime, _ = typed_retriever
    kinds = {p["text"][:20]: p["value_kinds"] for _, p in runtime.store.scroll({}, ["text", "value_kinds"])}
    assert sorted(kinds.values()) == [[], ["rate"]]
    stored = [Hit("a", 0.90, {"value_kinds": []}), Hit("b", 0.89, {"value_kinds": ["rate"]}),
              Hit("c", 0.885, {"text": "Support shall not exceed 85 % of the costs.", "language": "en"}),
              Hit("d", 0.88, {"text": "Support is set by the programme.", "language": "en"})]
    assert [h.id for h in prefer_answer_type(stored, {"rate"}, 0.02)] == ["b", "c", "a", "d"]
    assert prefer_answer_type(stored, set(), 0.02) == stored
    assert asked_value_kinds("Μέχρι πότε είναι επιλέξιμες οι δαπάνες;", "el") == {"date"}
    assert asked_value_kinds("Who may apply?", "en") == set()
