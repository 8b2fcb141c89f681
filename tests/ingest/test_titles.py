"""Document titles: metadata when it names the document, else the document's own first lines."""

from __future__ import annotations

import pytest

from common.settings import SERVED_LANGUAGES
from ingest.titles import act_title_languages, document_title, is_junk_title


@pytest.mark.parametrize("title", ["Publications Office", "R57", "", "Microsoft Word - draft.docx",
                                   "Journal officiel de la République française - N° 95 du 23 avril 2022"])
def test_junk_titles(title):
    assert is_junk_title(title)


def test_a_real_metadata_title_is_kept():
    assert document_title("Tööhõiveprogramm 2024–2029", ["other"], "x") == "Tööhõiveprogramm 2024–2029"


def test_the_line_that_opens_an_acts_title_is_found_below_the_journal_head():
    lines = ["Décrets, arrêtés, circulaires", "TEXTES GÉNÉRAUX", "MINISTÈRE DE LA COHÉSION DES TERRITOIRES",
             "Décret no 2022-608 du 21 avril 2022 fixant les règles nationales d'éligibilité"]
    title = document_title("Journal officiel de la République française", lines, "decret_2022_608")
    assert title.startswith("Décret no 2022-608 du 21 avril 2022")


def test_a_headline_becomes_the_title_and_a_file_name_is_the_last_resort():
    lines = ["Муниципалитеты Юго-Восточной Эстонии поддержат в работе над соцобеспечением", "Текст новости."]
    assert document_title(None, lines, "ru_news").startswith("Муниципалитеты Юго-Восточной Эстонии")
    assert document_title(None, ["", "12 345", "..."], "ESF_Projects_List") == "ESF Projects List"
    long = "word " * 100
    assert len(document_title(None, [long], "x")) <= 201


def test_act_title_words_cover_every_served_language():
    assert set(SERVED_LANGUAGES) <= act_title_languages()
