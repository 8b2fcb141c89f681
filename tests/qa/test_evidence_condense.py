from common.schema import SearchHit
from qa.condense import condense, is_follow_up, subject_terms
from qa.evidence import unmatched_years


def hit(text: str, title: str = "Guide", source: str = "corpus/g.md") -> SearchHit:
    return SearchHit(doc_id="d", title=title, source=source, page_start=1, page_end=1, section=None, language="en",
                     score=0.9, text=text)


def test_years_the_passages_do_not_mention_are_reported():
    hits = [hit("Expenditure is eligible until 31 December 2029 for the 2021-2027 programmes.")]
    assert unmatched_years("What are the rates in the 2028-2034 period?", hits) == ["2028-2034"]
    assert unmatched_years("What were the rates in 2007–13?", hits) == ["2007–13"]
    assert unmatched_years("Which rules apply in 2021–27?", hits) == []
    assert unmatched_years("Is spending in 2029 eligible?", hits) == []
    assert unmatched_years("What was the minimum wage in 2025?", hits) == ["2025"]
    assert unmatched_years("Article 1060 of the rules?", hits) == []  # not a year: outside 1900-2099 is not it
    # the year may be in the title or the file name rather than the chunk text
    assert unmatched_years("ESF 2007-2013 maximum?", [hit("maximum € 5.000.000", source="nl/ESF_2007-2013.md")]) == []


def test_follow_ups_carry_the_previous_subject():
    assert is_follow_up("And for transition regions?") and is_follow_up("Et pour les régions en transition ?")
    assert not is_follow_up("Which horizontal principles must every programme respect under the regulation?")
    assert subject_terms("What is the co-financing rate for less developed regions?", "And for transition regions?") \
        == ["co-financing", "rate", "less", "developed"]
    history = [{"role": "user", "content": "Какъв е процентът на съфинансиране за по-слабо развитите региони?"},
               {"role": "assistant", "content": "85 % [1]"}]
    standalone = condense(history, "А за регионите в преход?")
    assert standalone.startswith("А за регионите в преход?") and "съфинансиране" in standalone
    assert condense([], "And for transition regions?") == "And for transition regions?"


def test_amounts_between_1900_and_2099_are_not_years():
    hits = [hit("Small projects are funded up to EUR 50 000 per beneficiary.")]
    assert unmatched_years("Can I fund a project costing 2000 euros?", hits) == []
    assert unmatched_years("Kann ein Projekt mit 1950 Euro gefördert werden?", hits) == []
    assert unmatched_years("Is € 2000 enough, or 2 000 EUR, or 2000,50?", hits) == []
    assert unmatched_years("Сколько стоит проект за 2000 евро?", hits) == []
    assert unmatched_years("What changed for projects costing 2000 euros in 2025?", hits) == ["2025"]
    assert unmatched_years("Is the deadline 31.12.2030?", hits) == ["2030"]


def test_every_served_language_has_amount_words():
    import yaml

    from common.settings import SERVED_LANGUAGES
    from qa.evidence import _AMOUNTS

    words = yaml.safe_load(_AMOUNTS.read_text(encoding="utf-8"))["words"]
    assert set(words) == set(SERVED_LANGUAGES) and all(words[lang] for lang in SERVED_LANGUAGES)


def test_ordinary_short_questions_are_not_follow_ups():
    for question in ("What is ESF+?", "A list of eligible costs?", "I need the flat rate for staff", "E-mail of the MA?",
                     "Who can apply?"):
        assert not is_follow_up(question), question
    history = [{"role": "user", "content": "What is the co-financing rate for less developed regions?"}]
    assert condense(history, "What is ESF+?") == "What is ESF+?"
    assert is_follow_up("And for transition regions?") and is_follow_up("Und für Übergangsregionen?")


def test_addresses_in_a_passage_are_no_evidence():
    """A list of links reads alike to any question: the similarity the refusal threshold is held to is that of the
    passage's words without its addresses."""
    from common.embedder import load_embedder
    from common.settings import EmbedSettings
    from qa.evidence import passage_similarity

    embedder = load_embedder(EmbedSettings())
    links = ("https://cohesiondata.ec.europa.eu/ Partnership Agreements: "
             "http://ec.europa.eu/contracts_grants/agreements/index_en.htm Regional Policy: "
             "http://ec.europa.eu/regional_policy/en/ Programs")
    words = "Partnership Agreements: Regional Policy: Programs"
    question = "What is the boiling point of water at sea level?"

    def similarity(text: str) -> float:
        return passage_similarity(embedder, question, [SearchHit(
            doc_id="d", title="Opening European Funds", source="f.pdf", page_start=1, page_end=1, section=None,
            language="en", score=0.8, text=text)])

    assert abs(similarity(links) - similarity(" ".join(words.split()))) < 1e-6
    assert similarity("http://ec.europa.eu/regional_policy/") == 0.0  # an address alone is no passage at all
