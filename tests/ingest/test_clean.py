"""Clean-up of extracted pages: running headers/footers, hyphenated line breaks, spacing."""

from __future__ import annotations

from ingest.clean import clean_pages, clean_text, remove_running_lines
from ingest.loaders.base import Page

BODY = [
    "Member States shall ensure that the managing authority publishes the list of operations.",
    "The list shall be updated at least every four months and kept available online.",
    "Beneficiaries shall acknowledge support from the funds on their website.",
    "Expenditure shall be eligible for a contribution if it has been paid by the beneficiary.",
    "Small projects may use simplified cost options based on a draft budget.",
    "Interest on debt is not eligible except for grants given in the form of an interest subsidy.",
]


def _page(n: int, top: list[str], bottom: list[str]) -> Page:
    body = [BODY[n % len(BODY)], f"Paragraph {n} continues with specific text number {n * 7}.", BODY[(n + 2) % len(BODY)]]
    return Page(n, "\n".join(top + body + bottom))


def test_running_header_with_varying_page_numbers_and_dates_removed():
    pages = [
        _page(n, [f"Official Journal of the European Union L 231/{100 + n}", f"30.6.20{20 + n}"],
              [f"Page {n} of 6", f"EN {n}"])
        for n in range(1, 7)
    ]
    cleaned = clean_pages(pages)
    assert [p.number for p in cleaned] == [p.number for p in pages]
    for page, original in zip(cleaned, pages):
        assert "Official Journal" not in page.text
        assert "30.6." not in page.text
        assert "Page " not in page.text
        assert "EN " not in page.text
        # The body is untouched.
        assert page.text.splitlines() == original.text.splitlines()[2:-2]


def test_edge_lines_only_on_some_pages_are_kept():
    # A line at the top of only 2 of 6 pages is below the 3-page minimum.
    pages = [_page(n, ["Annex to the call for proposals"] if n <= 2 else [], []) for n in range(1, 7)]
    cleaned = clean_pages(pages)
    assert sum("Annex to the call for proposals" in p.text for p in cleaned) == 2


def test_recurring_line_in_the_middle_of_pages_is_kept():
    pages = [Page(n, "\n".join([f"Start {n} of something unique {n * 3}", BODY[n % 6], "Repeated middle sentence here.",
                                BODY[(n + 1) % 6], f"Unique end {n}{n}"])) for n in range(1, 7)]
    cleaned = remove_running_lines(pages)
    assert all("Repeated middle sentence here." in p.text for p in cleaned)


def test_fewer_than_three_pages_are_left_alone():
    pages = [Page(n, f"Running header\n{BODY[n]}\nPage {n}") for n in range(1, 3)]
    assert remove_running_lines(pages) == pages


def test_repeated_article_heading_at_top_of_pages_is_kept():
    # The same article running over several pages: its heading is repeated at the top, like a header would be.
    pages = [_page(n, ["Article 12", "Eligible costs"] if n == 1 else ["Article 12"], [f"Page {n}"])
             for n in range(1, 6)]
    cleaned = clean_pages(pages)
    for page in cleaned:
        assert page.text.splitlines()[0] == "Article 12"
        assert "Page" not in page.text


def test_numbered_heading_lines_at_top_of_pages_are_kept():
    # Digits are masked when comparing lines ("Article 12" ~ "Article 13"); headings must still survive.
    for template in ("Article {n}", "Artikel {n}", "Член {n}", "§ {n}", "ANNEX {n}"):
        pages = [_page(n, [template.format(n=10 + n)], ["Regulation (EU) 2021/1060 – consolidated text"])
                 for n in range(1, 6)]
        cleaned = clean_pages(pages)
        for n, page in enumerate(cleaned, start=1):
            lines = page.text.splitlines()
            assert lines[0] == template.format(n=10 + n), (template, lines)
            assert "consolidated text" not in page.text


def test_markdown_heading_repeated_at_top_is_kept():
    pages = [_page(n, ["## Eligibility"], ["Guide v2"]) for n in range(1, 5)]
    cleaned = clean_pages(pages)
    assert all(p.text.startswith("## Eligibility\n") for p in cleaned)
    assert not any("Guide v2" in p.text for p in cleaned)


def test_hyphen_joined_only_before_lower_case():
    text = "Le présent régle-\nment fixe les règles.\nDie EU-\nFörderung ist wichtig.\nSelf-\nEmployed persons."
    cleaned = clean_text(text)
    assert "réglement fixe les règles." in cleaned
    assert "EU-\nFörderung" in cleaned
    assert "Self-\nEmployed" in cleaned


def test_hyphen_before_digit_or_in_line_is_kept():
    text = "See Article 63-\n2 of the regulation.\nA well-known rule.\nco-\nfinancing rate"
    cleaned = clean_text(text)
    assert "63-\n2" in cleaned
    assert "well-known" in cleaned
    assert "cofinancing rate" in cleaned


def test_soft_hyphen_and_spacing_normalised():
    cleaned = clean_text("Förder\u00adung\u00a0 und   Kosten \r\nzweite\tZeile  \rdritte")
    assert cleaned == "Förderung und Kosten\nzweite Zeile\ndritte"


def test_soft_hyphen_at_line_break_joins_cyrillic():
    assert clean_text("съфинан\u00ad\nсиране") == "съфинансиране"
