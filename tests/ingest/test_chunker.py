"""Structure-aware chunking: multilingual headings, sentence windows with overlap, page ranges."""

from __future__ import annotations

import re

import pytest

from common.text import is_heading_line, split_sentences
from common.units import quotable_units
from ingest.chunker import chunk_pages
from ingest.loaders.base import Page

SENTENCE_END = re.compile(r"[.!?;…]$")


def _sections(text: str) -> dict[str, str]:
    return {c.section: c.body for c in chunk_pages([Page(1, text)])}


MULTILINGUAL = """Article 63
Éligibilité
Les dépenses sont éligibles si elles ont été payées. Elles doivent être justifiées.
Artikel 5
Die Ausgaben sind förderfähig. Sie müssen belegt sein.
Член 7 – Допустимост на разходите
Разходите са допустими. Те трябва да бъдат платени.
Άρθρο 9 Γενικές διατάξεις
Οι δαπάνες είναι επιλέξιμες. Πρέπει να πληρωθούν.
Статья 3 Общие положения
Расходы допустимы. Они должны быть оплачены.
§ 12. Zuständigkeit
Die Behörde ist zuständig. Sie prüft die Anträge.
## Vereinfachte Kostenoptionen
Pauschalsätze sind möglich. Sie verringern den Aufwand.
Article 63 of Regulation (EU) 2021/1060 sets out the eligibility rules. This line is running text.
"""


def test_multilingual_headings_split_sections():
    sections = _sections(MULTILINGUAL)
    assert list(sections) == [
        "Article 63 Éligibilité",
        "Artikel 5",
        "Член 7 – Допустимост на разходите",
        "Άρθρο 9 Γενικές διατάξεις",
        "Статья 3 Общие положения",
        "§ 12. Zuständigkeit",
        "Vereinfachte Kostenoptionen",
    ]
    assert sections["Article 63 Éligibilité"].startswith("Les dépenses sont éligibles")
    # The title line was consumed as part of the heading, not left in the body.
    assert "Éligibilité" not in sections["Article 63 Éligibilité"]
    assert sections["Artikel 5"] == "Die Ausgaben sind förderfähig. Sie müssen belegt sein."
    assert sections["Статья 3 Общие положения"] == "Расходы допустимы. Они должны быть оплачены."


def test_running_text_mentioning_an_article_is_not_a_heading():
    sections = _sections(MULTILINGUAL)
    assert "Article 63 of Regulation (EU) 2021/1060 sets out the eligibility rules." in \
        sections["Vereinfachte Kostenoptionen"]
    assert not is_heading_line("Article 63 of Regulation (EU) 2021/1060 sets out")
    assert not is_heading_line("Artikel 5 der Verordnung regelt die Förderfähigkeit,")


@pytest.mark.parametrize("line", [
    "Article 63", "ARTICLE 7", "Artikel 5", "Член 7 – Допустимост", "Άρθρο 9 Γενικές διατάξεις",
    "Статья 3 Общие положения", "§ 12. Zuständigkeit", "Artículo 4 Ámbito", "CHAPTER III", "ANNEX I",
    "## Eligibility", "#### Förderfähige Kosten",
])
def test_heading_lines_recognised(line):
    assert is_heading_line(line)


@pytest.mark.parametrize("line", [
    "Article 63 of Regulation (EU) 2021/1060 sets out",
    "Article 12, paragraph 3 applies.",
    "The rate is 85 %.",
    "#hashtag without space is not a heading",
    "Article " + "x" * 200,
])
def test_non_heading_lines(line):
    assert not is_heading_line(line)


def test_article_title_line_ending_in_punctuation_is_body():
    sections = _sections("Article 8\nThe rule applies to all operations.\nSecond sentence here.\n")
    assert list(sections) == ["Article 8"]
    assert sections["Article 8"].startswith("The rule applies to all operations.")


def test_nested_headings_give_a_section_path():
    text = "# Guide\n## Costs\n### Staff costs\nStaff costs are eligible. They need timesheets.\n## Reporting\nReports are due yearly.\n"
    chunks = chunk_pages([Page(None, text)])
    assert [c.section for c in chunks] == ["Costs › Staff costs", "Reporting"]
    assert chunks[0].text.startswith("Costs › Staff costs\n")
    assert chunks[0].page_start is None and chunks[0].page_end is None


# --- windows --------------------------------------------------------------------------------------------

SENTENCES = [
    f"Sentence {i} explains eligible cost category {i} for the beneficiaries of the programme." for i in range(1, 41)
]


def _long_article(size: int = 400, overlap: int = 120):
    page4 = "Article 10\nEligible costs\n" + "\n".join(SENTENCES[:20])
    page5 = "\n".join(SENTENCES[20:])
    return chunk_pages([Page(4, page4), Page(5, page5)], size=size, overlap=overlap)


def test_chunks_end_at_sentence_boundaries():
    chunks = _long_article()
    assert len(chunks) > 5
    for chunk in chunks:
        assert SENTENCE_END.search(chunk.body), chunk.body
        assert chunk.body.startswith("Sentence ")
        # Every sentence in the chunk is a whole source sentence.
        for sentence in split_sentences(chunk.body):
            assert sentence in SENTENCES


def test_chunks_respect_size():
    size = 400
    chunks = _long_article(size=size)
    assert all(len(c.body) <= size for c in chunks), [len(c.body) for c in chunks]
    assert all(len(c.body) > size / 2 for c in chunks[:-1])


def test_consecutive_chunks_overlap_by_whole_sentences():
    chunks = _long_article(size=400, overlap=120)
    for previous, current in zip(chunks, chunks[1:]):
        prev_sentences = split_sentences(previous.body)
        cur_sentences = split_sentences(current.body)
        shared = [s for s in cur_sentences if s in prev_sentences]
        assert shared, (previous.body, current.body)
        # The overlap is the tail of the previous chunk and the head of the next one.
        assert prev_sentences[-len(shared):] == shared == cur_sentences[: len(shared)]
        assert sum(len(s) for s in shared) <= 120
    # All source sentences are covered, in order.
    seen = []
    for chunk in chunks:
        seen.extend(s for s in split_sentences(chunk.body) if s not in seen)
    assert seen == SENTENCES


def test_no_overlap_when_overlap_is_zero():
    chunks = _long_article(size=400, overlap=0)
    total = sum(len(split_sentences(c.body)) for c in chunks)
    assert total == len(SENTENCES)


def test_page_ranges_follow_sentences_across_a_page_break():
    chunks = _long_article()
    assert all(c.section == "Article 10 Eligible costs" for c in chunks)
    assert chunks[0].page_start == chunks[0].page_end == 4
    assert chunks[-1].page_start == chunks[-1].page_end == 5
    spanning = [c for c in chunks if c.page_start < c.page_end]
    assert len(spanning) == 1
    chunk = spanning[0]
    assert (chunk.page_start, chunk.page_end) == (4, 5)
    assert "Sentence 20 " in chunk.body and "Sentence 21 " in chunk.body
    for c in chunks:
        numbers = [int(n) for n in re.findall(r"Sentence (\d+) ", c.body)]
        expected_pages = {4 if n <= 20 else 5 for n in numbers}
        assert (c.page_start, c.page_end) == (min(expected_pages), max(expected_pages)), c.body


def test_pages_with_sentences_starting_alike():
    # Every sentence starts with "The": the page of each must still be found.
    page1 = "Article 2\n" + " ".join(f"The rule number {i} applies." for i in range(1, 6))
    page2 = " ".join(f"The rule number {i} applies." for i in range(6, 11))
    chunks = chunk_pages([Page(1, page1), Page(2, page2)], size=90, overlap=0)
    for c in chunks:
        numbers = [int(n) for n in re.findall(r"number (\d+)", c.body)]
        assert c.page_start == (1 if min(numbers) <= 5 else 2), c.body
        assert c.page_end == (1 if max(numbers) <= 5 else 2), c.body


def test_a_sentence_longer_than_size_is_split_by_words():
    long_sentence = " ".join(f"word{i}" for i in range(200)) + "."
    chunks = chunk_pages([Page(1, "Article 1\n" + long_sentence)], size=100, overlap=0)
    assert len(chunks) > 5
    assert all(len(c.body) <= 100 for c in chunks)
    assert " ".join(c.body for c in chunks) == long_sentence


def test_paragraph_break_ends_a_sentence_without_punctuation():
    text = "Article 4\nScope\nThe first paragraph has no final stop\n\nThe second paragraph starts here."
    chunks = chunk_pages([Page(1, text)], size=40, overlap=0)
    assert [c.body for c in chunks] == ["The first paragraph has no final stop", "The second paragraph starts here."]
    assert {c.section for c in chunks} == {"Article 4 Scope"}


def test_article_followed_by_article_is_not_its_title():
    chunks = chunk_pages([Page(1, "Article 1\nArticle 2\nText of article two.\n")])
    assert [c.section for c in chunks] == ["Article 2"]


def test_empty_sections_are_dropped():
    chunks = chunk_pages([Page(1, "# Guide\n## Empty section\n\n\n## Filled section\nText of the filled one.\n\n")])
    assert [c.section for c in chunks] == ["Filled section"]
    assert [c.body for c in chunks] == ["Text of the filled one."]


# --- sentences ------------------------------------------------------------------------------------------


def test_split_sentences_keeps_abbreviations():
    text = "Nach Art. 5 gilt dies für alle. Das ist z. B. ein Fall. Siehe auch Nr. 7 und vgl. Abs. 12. Ende hier."
    assert split_sentences(text) == [
        "Nach Art. 5 gilt dies für alle.", "Das ist z. B. ein Fall.", "Siehe auch Nr. 7 und vgl. Abs. 12.", "Ende hier.",
    ]


def test_split_sentences_multilingual():
    assert split_sentences("Разходите са допустими. Те трябва да бъдат платени! Ясно?") == [
        "Разходите са допустими.", "Те трябва да бъдат платени!", "Ясно?",
    ]
    assert split_sentences("Οι δαπάνες είναι επιλέξιμες. Πρέπει να πληρωθούν.") == [
        "Οι δαπάνες είναι επιλέξιμες.", "Πρέπει να πληρωθούν.",
    ]


def test_split_sentences_does_not_split_before_numbers():
    assert split_sentences("The rate is 85. 5 regions qualify.") == ["The rate is 85. 5 regions qualify."]


def test_split_sentences_normalises_whitespace_and_paragraphs():
    assert split_sentences("One   sentence\nwrapped.\n\nNew paragraph") == ["One sentence wrapped.", "New paragraph"]


def test_chunks_record_where_each_page_begins():
    pages = [Page(3, "The first page ends with this sentence."), Page(4, "The second page starts here. And goes on.")]
    chunk, = chunk_pages(pages, size=900, overlap=0)
    assert (chunk.page_start, chunk.page_end) == (3, 4)
    assert [page for _, page in chunk.page_breaks] == [3, 4]
    assert chunk.text[chunk.page_breaks[1][0]:].startswith("The second page starts here.")
    headed, = chunk_pages([Page(2, "# Guide\n## Rates\nThe rate is 85 %.")], size=900, overlap=0)
    assert headed.text[headed.page_breaks[0][0]:] == "The rate is 85 %."


def test_a_paragraph_after_a_list_stays_apart_from_its_last_item():
    """Sentences the section split at a blank line stay apart in the chunk: its units are read from the chunk's
    text again (common/units.py), where "… EUR 60 000 The same project …" would run together."""
    text = ("## Worked example\nThe project costs EUR 400 000.\n- EU contribution (85 %): EUR 340 000\n"
            "- Own co-financing (15 %): EUR 60 000\n\nThe same project in a transition region gets 60 %.")
    chunk, = chunk_pages([Page(7, text)], size=900, overlap=0)
    assert [u.text for u in quotable_units(chunk.text, chunk.section)] == [
        "The project costs EUR 400 000.", "- EU contribution (85 %): EUR 340 000",
        "- Own co-financing (15 %): EUR 60 000", "The same project in a transition region gets 60 %."]


def test_page_offsets_hold_across_a_blank_line_joint():
    pages = [Page(3, "The first page opens.\n- An item without a stop\n\n"), Page(4, "The next page starts here.")]
    chunk, = chunk_pages(pages, size=900, overlap=0)
    assert "- An item without a stop\n\nThe next page" in chunk.text
    assert [page for _, page in chunk.page_breaks] == [3, 4]
    assert chunk.text[chunk.page_breaks[1][0]:] == "The next page starts here."
