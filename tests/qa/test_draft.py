"""Reply drafts: an inquiry read into its questions and signature, one numbered point per question, one reference
list for the whole draft, the staff signature under the closing, and the .eml the Draft tab exports."""

from __future__ import annotations

import email
import email.policy

import pytest

from common.language import unserved_language
from common.schema import Answer, Citation
from common.settings import SERVED_LANGUAGES
from qa.draft import compose_draft, eml_message, inquiry_words, read_inquiry, reference_line, renumber
from qa.templates import phrase, refusal

CZECH = ("Dobrý den,\n\njsme nezisková organizace v Brně. Jaká je maximální míra spolufinancování EU pro méně "
         "rozvinuté regiony? A do kdy musí být výdaje uhrazeny? Uzávěrka výzvy je 15. března 2026.\n\n"
         "S pozdravem\nJana Nováková\nCharita Brno")


def cite(n: int, doc_id: str, page: int, text: str = "t") -> Citation:
    return Citation(n=n, doc_id=doc_id, title=f"Title {doc_id}", source=f"{doc_id}.pdf", page_start=page,
                    page_end=page, section="Článek 112", language="cs", score=0.9, text=text)


def test_every_served_language_has_cue_words_for_greetings_closings_and_requests():
    words = inquiry_words()
    for lang in SERVED_LANGUAGES:
        assert lang in words, lang
        for kind in ("greetings", "closings", "requests"):
            assert words[lang].get(kind), (lang, kind)
            assert all(w == w.lower() and w.strip() == w for w in words[lang][kind]), (lang, kind)


@pytest.mark.parametrize("lang, text, questions, inquirer", [
    ("cs", CZECH, ["Jaká je maximální míra spolufinancování EU pro méně rozvinuté regiony?",
                   "A do kdy musí být výdaje uhrazeny?"], "Jana Nováková"),
    ("bg", "Здравейте, какъв е максималният процент на съфинансиране за по-слабо развитите региони? "
           "Мила Иванова от Русе",
     ["Какъв е максималният процент на съфинансиране за по-слабо развитите региони?"], "Мила Иванова"),
    # requests without a question mark, and a title in the signature
    ("de", "Guten Tag, wir möchten wissen, ob die Mehrwertsteuer förderfähig ist. Die Frist ist der 31.12.2029. "
           "Bitte teilen Sie uns auch mit, wer den Antrag stellt.\nMit freundlichen Grüßen\nDr. Klaus Weber, Caritas",
     ["Wir möchten wissen, ob die Mehrwertsteuer förderfähig ist.",
      "Bitte teilen Sie uns auch mit, wer den Antrag stellt."], "Dr. Klaus Weber"),
    # Greek asks with ";"; elsewhere ";" only joins clauses
    ("el", "Καλησπέρα σας. Ποιο είναι το ποσοστό συγχρηματοδότησης; Και για τις περιφέρειες μετάβασης;",
     ["Ποιο είναι το ποσοστό συγχρηματοδότησης;", "Και για τις περιφέρειες μετάβασης;"], None),
    ("en", "We run a day centre; we employ six people. What is the co-financing rate?",
     ["What is the co-financing rate?"], None),
    ("et", "Tere! Palun öelge, kas käibemaks on abikõlblik. Tähtaeg on 31. detsember.\nLugupidamisega\nMari Tamm",
     ["Palun öelge, kas käibemaks on abikõlblik."], "Mari Tamm"),
    # no question mark and no cue word: the whole inquiry is the question
    ("en", "Co-financing rate for less developed regions", ["Co-financing rate for less developed regions"], None),
])
def test_an_inquiry_is_read_into_its_questions_and_the_inquirers_name(lang, text, questions, inquirer):
    read = read_inquiry(text, lang)
    assert read.questions == questions
    assert read.inquirer == inquirer


def test_citations_are_renumbered_into_one_list_for_the_whole_draft():
    first = Answer(question="a", language="cs", answer="- x [1]\n- y [2]", answerable=True, composer="extractive",
                   citations=[cite(1, "cpr", 90), cite(2, "esf", 12)])
    second = Answer(question="b", language="cs", answer="- z [1]\n- x [2]", answerable=True, composer="extractive",
                    citations=[cite(1, "guide", 3), cite(2, "cpr", 90)])
    texts, merged = renumber([first, second])
    assert texts == ["- x [1]\n- y [2]", "- z [3]\n- x [1]"]  # the CPR page cited twice keeps number 1
    assert [(c.n, c.doc_id) for c in merged] == [(1, "cpr"), (2, "esf"), (3, "guide")]


def test_reference_lines_use_the_page_word_of_the_reply_language():
    citation = Citation(n=1, doc_id="cpr", title="Règlement (UE) 2021/1060", source="fr/cpr.pdf",
                        url="https://example.org/cpr.pdf", page_start=90, page_end=91, section="Article 112",
                        language="fr", score=0.9, text="...")
    assert reference_line(citation) == ("[1] Règlement (UE) 2021/1060, pp. 90-91, Article 112, "
                                        "https://example.org/cpr.pdf#page=90")
    assert reference_line(citation.model_copy(update={"page_end": 90}), "bg").startswith(
        "[1] Règlement (UE) 2021/1060, стр. 90, Article 112")


def test_the_draft_greets_the_inquirer_answers_each_question_and_signs_with_the_staff_name():
    asked: list[tuple[str, str, int]] = []

    def ask(question: str, lang: str, history: list[dict]) -> Answer:
        asked.append((question, lang, len(history)))
        if "spolufinancování" in question:
            return Answer(question=question, language=lang, answerable=True, composer="extractive",
                          answer=f"{phrase('lead', lang)}\n- Míra činí 85 % [1].\n- Viz též [2].\n{phrase('contact', lang)}",
                          citations=[cite(1, "cpr", 90), cite(2, "guide", 3)])
        return Answer(question=question, language=lang, answer=refusal(lang), answerable=False, composer="extractive")

    draft = compose_draft(ask, CZECH, "Petr Svoboda\nRegionální helpdesk")
    text = draft.text
    assert [(q[:9], lang, turns) for q, lang, turns in asked] == [("Jaká je m", "cs", 0), ("A do kdy ", "cs", 2)]
    assert text.startswith(phrase("greeting_named", "cs", name="Jana Nováková"))
    assert "Petr Svoboda" not in text.split("\n")[0]
    assert text.endswith(f"{phrase('closing', 'cs')}\nPetr Svoboda\nRegionální helpdesk")
    assert "\n1. Jaká je maximální míra" in text and "\n2. A do kdy musí být výdaje uhrazeny?" in text
    assert phrase("will_check", "cs", topic="A do kdy musí být výdaje uhrazeny?") in text
    assert text.count(phrase("references", "cs")) == 1 and "\n[1] Title cpr, s. 90" in text
    assert phrase("contact", "cs") not in text  # said once, by the open-points line
    assert draft.subject == "Re: Jaká je maximální míra spolufinancování EU pro méně rozvinuté regiony?"
    assert draft.answerable and [p.answer.answerable for p in draft.parts] == [True, False]


def test_without_a_signature_the_greeting_is_neutral():
    ask = lambda q, lang, history: Answer(question=q, language=lang, answer=refusal(lang), answerable=False,
                                          composer="extractive")
    draft = compose_draft(ask, "Kas käibemaks on abikõlblik?", "Mari")
    assert draft.language == "et" and draft.text.startswith(phrase("greeting", "et") + "\n")
    assert phrase("references", "et") not in draft.text and draft.text.endswith(phrase("closing", "et") + "\nMari")


def test_an_inquiry_in_a_language_we_do_not_serve_gets_the_notice_and_no_answer():
    asked = []
    draft = compose_draft(lambda *a: asked.append(a), "低開発地域の共同融資率は何パーセントですか？")
    assert asked == [] and draft.notice and draft.text.startswith("Japanese is not one of the languages")
    assert "Bulgarian" in draft.text and "\n" not in draft.text
    assert unserved_language("Какъв е процентът на съфинансиране?") is None
    assert unserved_language("ما هو معدل التمويل المشترك؟") == "ar"


def test_the_eml_export_is_the_text_as_given_under_a_re_subject():
    body = "Dobrý den, Jano Nováková,\n\n1. Jaká je míra?\n- 85 % [1]\n\nS pozdravem\nPetr"
    raw = eml_message("Re: Jaká je maximální míra spolufinancování?", body)
    message = email.message_from_bytes(raw.encode("utf-8"), policy=email.policy.default)
    assert message["Subject"] == "Re: Jaká je maximální míra spolufinancování?"
    assert message.get_content_type() == "text/plain" and message["X-Unsent"] == "1"
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == body
