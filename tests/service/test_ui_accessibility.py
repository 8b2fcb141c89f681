"""WCAG 2.1 AA in a real headless Chromium, over the server and browser the UI tests share (conftest.py).

axe-core (from npm, installed here when missing) audits every tab, empty and after an answer, a draft, an upload
and a delete; the answer and each quote carry their language; the chat and the draft are driven by keyboard
alone, focus moving to what arrives and a live region announcing it; messages are alerts; and the page reflows at
200 % zoom in a 640 px window (a 320 CSS px viewport at two device pixels per CSS pixel).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from service.ui import ANSWER_ARRIVED, DRAFT_READY, STATUS_IDS, UI_LANGUAGE
from tests.service.conftest import ADMIN_KEY

AXE_VERSION = "4.14.1"
AXE_PREFIX = Path(__file__).parent / "axe"
AXE_SCRIPT = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA: what the Web Accessibility Directive (EN 301 549) requires.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = r"""
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
  .then(result => done(result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" ")),
    why: (v.nodes[0].failureSummary || "").replace(/\s+/g, " ").slice(0, 300)}))))
  .catch(error => done([{id: "axe-error", impact: "critical", help: String(error), targets: []}]));
"""
IDLE = """return !document.querySelector('.pending') &&
  ![...document.querySelectorAll('[data-testid=status-tracker]')].some(e => !e.classList.contains('hide'));"""
# The element that has focus, as a selector-like description, for messages.
DESCRIBE_FOCUS = """const a = document.activeElement, block = a.closest('[id]');
return a.tagName.toLowerCase() + (block ? ' in #' + block.id : '') + ' "' +
  (a.getAttribute('aria-label') || a.innerText || '').trim().slice(0, 40) + '"';"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe.min.js of the pinned axe-core, installed from npm into tests/service/axe when missing (.ci/run does too)."""
    if not AXE_SCRIPT.is_file() or json.loads((AXE_SCRIPT.parent / "package.json").read_text())["version"] != AXE_VERSION:
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed, so axe-core cannot be: apt-get install npm (as .ci/run does)")
        installed = subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(AXE_PREFIX),
                                    f"axe-core@{AXE_VERSION}"], capture_output=True, text=True, timeout=300)
        assert installed.returncode == 0, f"npm could not install axe-core@{AXE_VERSION}: {installed.stderr[-2000:]}"
    return AXE_SCRIPT.read_text(encoding="utf-8")


def test_ci_installs_the_axe_core_these_tests_pin():
    ci = (Path(__file__).parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert f"--prefix tests/service/axe axe-core@{AXE_VERSION}" in ci


def axe_violations(browser, axe_source: str) -> list[dict]:
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(axe_source)
    browser.set_script_timeout(120)
    return browser.execute_async_script(RUN_AXE, AXE_TAGS)


def report(found: dict[str, list[dict]]) -> str:
    """'3 violations: Chat, after an answer: color-contrast (serious) on 2: #ask; .footer a …' one line per rule."""
    lines = [f"{sum(len(v) for v in found.values())} axe-core violations ({', '.join(AXE_TAGS)}):"]
    for state, violations in found.items():
        for v in violations:
            lines.append(f"  {state}: {v['id']} ({v['impact']}) on {len(v['targets'])}: {'; '.join(v['targets'])}"
                         f" — {v['help']}: {v.get('why', '')}")
    return "\n".join(lines)


def open_page(browser, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, 60).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))


def open_tab(browser, name: str) -> None:
    """Clicks the tab; in a narrow window Gradio moves the tabs that do not fit into its "More tabs" menu."""
    WebDriverWait(browser, 60).until(lambda _: browser.find_elements(By.CSS_SELECTOR, "[role=tablist] button"))
    shown = [b for b in browser.find_elements(By.XPATH, f"//button[@role='tab'][contains(., '{name}')]")
             if b.is_displayed()]
    if not shown:
        browser.find_element(By.CSS_SELECTOR, "button[aria-label='More tabs']").click()
        shown = [WebDriverWait(browser, 10).until(EC.element_to_be_clickable(
            (By.XPATH, f"//*[contains(@class, 'overflow-dropdown')]/button[contains(., '{name}')]")))]
    shown[0].click()


def wait_for(browser, check, timeout: float = 60):
    return WebDriverWait(browser, timeout).until(lambda _: check())


def text_of(browser, selector: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, selector).text


def ask(browser, question: str, expect: str) -> None:
    browser.find_element(By.CSS_SELECTOR, "#question textarea").send_keys(question)
    browser.find_element(By.CSS_SELECTOR, "#ask").click()
    WebDriverWait(browser, 120).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#chat"), expect))
    wait_for(browser, lambda: browser.find_element(By.CSS_SELECTOR, "#ask").is_enabled())


def test_no_axe_violations_on_any_tab_empty_or_after_an_answer_a_draft_an_upload_and_a_delete(
        browser, ui_url, axe_source, tmp_path):
    found: dict[str, list[dict]] = {}

    def audit(state: str) -> None:
        # the state as it settles: no event still running (Gradio's progress overlays and faded outputs gone)
        wait_for(browser, lambda: browser.execute_script(IDLE), 30)
        if violations := axe_violations(browser, axe_source):
            found[state] = violations

    open_page(browser, ui_url)
    audit("Chat, empty")
    browser.find_element(By.CSS_SELECTOR, "#ask").click()
    wait_for(browser, lambda: "Type a question first." in text_of(browser, "#chat-status"), 30)
    audit("Chat, empty question refused")
    ask(browser, "Kdy je uzávěrka výzvy?", "Podle dokumentů")
    # the controls of an answered message are named
    labels = {b.get_attribute("aria-label") for b in browser.find_elements(By.CSS_SELECTOR, "#chat button")}
    assert {"Like", "Dislike", "Copy message", "Clear", "Copy conversation"} <= labels, labels
    audit("Chat, after an answer")

    open_tab(browser, "Draft a reply")
    browser.find_element(By.CSS_SELECTOR, "#make-draft").click()
    wait_for(browser, lambda: "Paste the inquiry first." in text_of(browser, "#draft-status"), 30)
    audit("Draft, empty inquiry refused")
    browser.find_element(By.CSS_SELECTOR, "#inquiry textarea").send_keys(
        "Dobrý den, jaká je maximální míra spolufinancování EU pro méně rozvinuté regiony?")
    browser.find_element(By.CSS_SELECTOR, "#make-draft").click()
    draft = browser.find_element(By.CSS_SELECTOR, "#draft textarea")
    wait_for(browser, lambda: "85 %" in (draft.get_attribute("value") or ""), 120)
    assert text_of(browser, "#draft-status") == ""  # the earlier refusal is gone once a draft is made
    audit("Draft, after a draft")

    open_tab(browser, "Documents")
    wait_for(browser, lambda: "Planted guide" in text_of(browser, "#documents"), 30)
    audit("Documents, listed")
    browser.find_element(By.CSS_SELECTOR, "#admin-key input").send_keys(ADMIN_KEY)
    fake = tmp_path / "budget.pdf"
    fake.write_text("plain text, not a PDF")
    browser.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(fake))
    wait_for(browser, lambda: "was not added" in text_of(browser, "#upload-status"))
    audit("Documents, upload refused")
    note = tmp_path / "accessible-note.md"
    note.write_text("---\ntitle: Accessibility audit note\nlanguage: en\n---\n\n# Note\n\nAudits are funded.\n")
    browser.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(note))
    wait_for(browser, lambda: "accessible-note.md was added" in text_of(browser, "#upload-status"), 120)
    wait_for(browser, lambda: "Accessibility audit note" in text_of(browser, "#documents"), 30)
    audit("Documents, after an upload")
    browser.execute_script("""return [...document.querySelectorAll('#documents [role=gridcell]')]
        .find(e => e.textContent.trim() === 'Accessibility audit note');""").click()
    WebDriverWait(browser, 30).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#delete"))).click()
    WebDriverWait(browser, 30).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#confirm-delete")))
    audit("Documents, delete to confirm")
    browser.find_element(By.CSS_SELECTOR, "#confirm-delete").click()
    wait_for(browser, lambda: "Deleted" in text_of(browser, "#delete-status"))
    audit("Documents, after a delete")
    browser.get("about:blank")
    assert not found, report(found)


def test_the_answer_and_each_quote_carry_their_language_and_the_page_the_uis(browser, ui_url):
    open_page(browser, ui_url)
    assert browser.execute_script("return document.documentElement.lang") == UI_LANGUAGE
    ask(browser, "Kdy je uzávěrka výzvy?", "Podle dokumentů")  # Czech, and the sample corpus has no Czech document
    answer = browser.find_elements(By.CSS_SELECTOR, "#chat [data-testid=bot] .answer")[-1]
    assert answer.get_attribute("lang") == "cs"
    # each passage quoted in another language carries the language the answer names after it: “…” (nl) [2]
    quotes = [(span.get_attribute("lang"), span.text, span.find_element(By.XPATH, "./..").text)
              for span in answer.find_elements(By.CSS_SELECTOR, "li span[lang]")]
    assert quotes, answer.text
    for lang, quote, item in quotes:
        assert lang != "cs" and quote.startswith("“") and f"{quote} ({lang})" in item, (lang, item)
    titles = answer.find_elements(By.CSS_SELECTOR, "a[href*='/v1/documents/'] span[lang]")
    assert titles and {t.get_attribute("lang") for t in titles} >= {lang for lang, _, _ in quotes}
    # Gradio labels each message with its raw Markdown; the label is dropped, so the marked-up text is what is read
    assert not browser.find_elements(By.CSS_SELECTOR, "#chat [data-testid=bot][aria-label]")
    browser.get("about:blank")


def focused(browser) -> str:
    return browser.execute_script(DESCRIBE_FOCUS)


def tab_to(browser, selector: str, limit: int = 30, back: bool = False, text: str = "") -> list[str]:
    """Presses Tab (Shift+Tab with back) until the focus is inside `selector` (on an element showing `text`);
    returns the stops on the way, and fails if focus ever falls to the page itself or the limit is reached."""
    stops = []
    for _ in range(limit):
        keys = ActionChains(browser)
        (keys.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT) if back else keys.send_keys(Keys.TAB)).perform()
        stops.append(focused(browser))
        assert browser.execute_script("return document.activeElement !== document.body"), \
            f"focus fell to the page after {stops}"
        if browser.execute_script("const a = document.activeElement; "
                                  "return !!a.closest(arguments[0]) && a.innerText.includes(arguments[1])", selector, text):
            return stops
    raise AssertionError(f"{selector} not reached by Tab: {stops}")


def has_focus_ring(browser) -> bool:
    return browser.execute_script("""const s = getComputedStyle(document.activeElement);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;""")


def announced(browser) -> str:
    return browser.execute_script("""const a = document.getElementById('a11y-announcer');
        return a && a.getAttribute('aria-live') === 'polite' ? a.textContent : null;""")


def feedback_count(data_dir: Path) -> int:
    import sqlite3

    if not (data_dir / "feedback.sqlite").is_file():
        return 0
    with sqlite3.connect(data_dir / "feedback.sqlite") as db:
        return db.execute("SELECT count(*) FROM feedback").fetchone()[0]


def test_chat_and_draft_by_keyboard_alone(browser, ui_server, tmp_path):
    ui_url, data_dir = ui_server
    rows_before = feedback_count(data_dir)
    open_page(browser, ui_url)
    keys = lambda *k: ActionChains(browser).send_keys(*k).perform()
    # Chat: the tabs first, then the question box, Ask, and the filters in reading order
    stops = tab_to(browser, "#question")
    assert [s.split('"')[1] for s in stops[:3]] == ["Chat", "Draft a reply", "Documents"], stops
    assert has_focus_ring(browser)
    order = tab_to(browser, "#doc-type")
    assert [s.split(" in ")[1].split()[0] for s in order] == ["#ask", "#answer-language", "#fund", "#country",
                                                              "#doc-type"], order
    tab_to(browser, "#question", back=True)
    keys("What is the co-financing rate for less developed regions?", Keys.ENTER)
    # the answer takes the focus when it arrives, and the live region says so
    wait_for(browser, lambda: browser.execute_script(
        "return !!document.activeElement.closest('#chat [data-testid=bot]')"), 120)
    assert "According to the documents" in browser.switch_to.active_element.text
    assert has_focus_ring(browser)
    wait_for(browser, lambda: announced(browser) == ANSWER_ARRIVED, 10)
    # from the answer, the thumbs are reachable and work by keyboard
    tab_to(browser, "#chat button[aria-label='Like']")
    keys(Keys.ENTER)
    wait_for(browser, lambda: feedback_count(data_dir) == rows_before + 1, 20)
    assert browser.find_elements(By.CSS_SELECTOR, "#chat button[aria-label='Liked']")
    keys(Keys.ENTER)  # and taken back, so no feedback row is left behind for the other browser tests
    wait_for(browser, lambda: feedback_count(data_dir) == rows_before, 20)

    # Draft: the tab chosen with the keyboard, the inquiry typed, the draft made with Space, downloaded with Enter
    tab_to(browser, "button[role=tab]", back=True, limit=40, text="Chat")
    tab_to(browser, "button[role=tab]", text="Draft a reply")
    keys(Keys.ENTER)
    tab_to(browser, "#inquiry")
    keys("Jaká je maximální míra spolufinancování EU pro méně rozvinuté regiony?")
    tab_to(browser, "#make-draft")
    keys(Keys.SPACE)
    wait_for(browser, lambda: browser.execute_script("return !!document.activeElement.closest('#draft')")
             and "85 %" in (browser.switch_to.active_element.get_attribute("value") or ""), 120)
    wait_for(browser, lambda: announced(browser) == DRAFT_READY, 10)
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    tab_to(browser, "#draft-download")
    assert has_focus_ring(browser)
    keys(Keys.ENTER)
    saved = tmp_path / "reply-draft.txt"
    wait_for(browser, lambda: saved.is_file() and "85 %" in saved.read_text(encoding="utf-8"), 30)
    browser.get("about:blank")


def test_messages_are_alerts_that_are_read_out(browser, ui_url):
    """Every message line (errors among them) is a role=alert region; Gradio draws a tab's content when opened."""
    open_page(browser, ui_url)
    roles = {}
    for tab in ("Chat", "Draft a reply", "Documents"):
        open_tab(browser, tab)
        wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, {"Chat": "#chat-status", "Draft a reply":
                                                                         "#draft-status", "Documents": "#delete"}[tab]))
        roles |= {status: element.get_attribute("role") for status in STATUS_IDS
                  for element in browser.find_elements(By.ID, status)}
    assert roles == {status: "alert" for status in STATUS_IDS}, roles
    browser.get("about:blank")


# A 640 px window at 200 % zoom: 320 CSS px of viewport at two device pixels each.
ZOOMED = {"width": 320, "height": 700, "deviceScaleFactor": 2, "mobile": False}
OVERFLOW = """const width = document.documentElement.clientWidth;
return [...document.querySelectorAll(arguments[0])].filter(e => e.offsetParent !== null)
  .map(e => [e.id || e.tagName, Math.round(e.getBoundingClientRect().left), Math.round(e.getBoundingClientRect().right)])
  .filter(([, left, right]) => left < 0 || right > width + 1);"""
PAGE_WIDTH = "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];"


def test_text_at_200_percent_in_a_640px_window_reflows_without_loss(browser, ui_url):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", ZOOMED)
    try:
        open_page(browser, ui_url)
        ask(browser, "What is the co-financing rate for less developed regions?", "According to the documents")
        tabs = {"Chat": "#chat, #question, #ask, #answer-language, #fund, #country, #doc-type, #chat-status",
                "Draft a reply": "#inquiry, #sender, #make-draft, #draft, #draft-download, #draft-download-eml",
                "Documents": "#admin-key, #documents, #upload, #delete"}
        for tab, controls in tabs.items():
            open_tab(browser, tab)
            wait_for(browser, lambda: browser.find_element(By.CSS_SELECTOR, controls.split(",")[0]).is_displayed(), 30)
            scroll_width, client_width = browser.execute_script(PAGE_WIDTH)
            assert scroll_width <= client_width + 1, f"{tab}: the page scrolls sideways ({scroll_width} > {client_width})"
            assert browser.execute_script(OVERFLOW, controls) == [], f"{tab}: controls cut off at the sides"
            for selector in controls.split(", "):
                element = browser.find_element(By.CSS_SELECTOR, selector)
                assert element.is_displayed() and element.size["width"] > 0, f"{tab}: {selector} is not shown"
            if tab == "Chat":  # the answer's text wraps inside the chat: nothing hidden past its right edge
                clipped = browser.execute_script("""return [...document.querySelectorAll('#chat .answer *')]
                    .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'hidden')
                    .map(e => e.tagName);""")
                assert clipped == [], clipped
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.get("about:blank")


def test_a_document_is_chosen_and_deleted_by_keyboard_alone(browser, ui_url):
    note = "---\ntitle: Keyboard deletion note\nlanguage: en\n---\n\n# Note\n\nThis note is deleted by keyboard.\n"
    response = httpx.post(f"{ui_url}v1/documents", headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                          files={"file": ("keyboard-note.md", note.encode(), "text/markdown")}, timeout=120)
    assert response.status_code in (200, 201), response.text
    open_page(browser, ui_url)
    keys = lambda *k: ActionChains(browser).send_keys(*k).perform()
    tab_to(browser, "button[role=tab]", text="Documents")
    keys(Keys.ENTER)
    tab_to(browser, "#admin-key")
    keys(ADMIN_KEY)
    tab_to(browser, "#document-choice")
    keys("Keyboard deletion")
    keys(Keys.ARROW_DOWN, Keys.ENTER)
    wait_for(browser, lambda: "Selected: Keyboard deletion note" in text_of(browser, "#delete-status"), 30)
    tab_to(browser, "#delete")
    keys(Keys.ENTER)
    wait_for(browser, lambda: "cannot be undone" in text_of(browser, "#delete-status"), 30)
    tab_to(browser, "#confirm-delete")
    keys(Keys.ENTER)
    wait_for(browser, lambda: "Deleted “Keyboard deletion note”" in text_of(browser, "#delete-status"), 60)
    assert "Keyboard deletion note" not in text_of(browser, "#documents")
    browser.get("about:blank")
