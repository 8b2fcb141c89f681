"""The Gradio UI, mounted on the API app at /: Chat for providers, Draft for staff, Documents for admins.

The UI calls the same AppState as the API, in process, and waits in the same admission queue
(service/api/admission.py). Everything that comes from documents (answer quotes,
titles, sections) is HTML-escaped before rendering, so a document cannot inject markup or script into the page.
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path
from urllib.parse import quote

import gradio as gr
from fastapi import FastAPI, HTTPException

from common.schema import Answer
from common.settings import SERVED_LANGUAGES
from qa.draft import eml_headers
from qa.retriever import parse_filters
from qa.templates import phrase
from service.api.admission import ANSWERS, DOCUMENT_WRITES, Overloaded
from service.api.budget import InputTooLarge, check_inquiry, check_question
from service.api.state import AppState

AUTO = "auto"
BUSY = "The helpdesk is busy right now; please try again in a moment."
# The files are made in the browser from the edited text, so no copy of a draft is written server-side.
_SAVE_JS = """(text, name, type) => {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], {type: type}));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}"""
_SAVE_DRAFT_JS = "(text) => { (" + _SAVE_JS + ")(text || '', 'reply-draft.txt', 'text/plain;charset=utf-8'); }"
# The .eml: the header block made with the draft (qa.draft.eml_headers), then the edited text with CRLF line ends.
_SAVE_EML_JS = ("(text, headers) => { (" + _SAVE_JS + ")((headers || '') + (text || '').replace(/\\r?\\n/g, '\\r\\n'),"
                " 'reply-draft.eml', 'message/rfc822'); }")
FILTERS = {"fund": "Fund", "country": "Country", "doc_type": "Document type"}
WORKING = "_Working…_"
EMPTY_QUESTION = "Type a question first."
# Upload refusals, one plain sentence each: the ingest's failure codes (ingest/errors.py, ingest/isolated.py).
_REFUSAL_REASONS = {
    "not-a-pdf": "it is not a valid PDF", "encrypted-pdf": "the PDF is encrypted",
    "no-text-layer": "the PDF has no text layer (scanned pages are not read)", "invalid-encoding": "its text is not UTF-8",
    "corrupt-file": "the file is damaged", "bad-front-matter": "its front matter cannot be read",
    "no-content": "it holds no text", "empty-file": "the file is empty", "file-too-large": "the file is too large",
    "unsupported-type": "the helpdesk does not read this type of file", "extraction-timeout": "reading it took too long",
    "extraction-memory": "reading it needed too much memory",
}
_ORDERED = re.compile(r"^(?:- )?(\d{1,3})[.)]\s+(.*)$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
# A passage quoted in its own language, as the extractive composer writes it: “…” (et) [1].
_FOREIGN_QUOTE = re.compile(r"“([^“”]+)” \(([a-z]{2,3})\)")
# The language of the UI's own words (labels, buttons, notices); answers and quotes carry theirs.
UI_LANGUAGE = "en"
# Message lines that are read out when they change (role=alert), not only shown.
STATUS_IDS = ("chat-status", "draft-status", "upload-status", "delete-status")
ANSWER_ARRIVED = "Answer received."
DRAFT_READY = "Draft ready."
_ASSETS = Path(__file__).parent / "assets"


def _escape(text: str) -> str:
    """Plain text for a Markdown renderer: HTML escaped, Markdown link/emphasis/table syntax neutralised."""
    escaped = html.escape(text, quote=False)
    return escaped.replace("[", "&#91;").replace("]", "&#93;").replace("*", "&#42;").replace("_", "&#95;") \
        .replace("`", "&#96;").replace("|", "&#124;")


def _lang_attr(code: str) -> str:
    """A language code as a lang attribute's value; anything that is not a language tag (the code comes from
    documents too) is 'und', undetermined."""
    return code if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", code or "") else "und"


def _with_quote_languages(escaped: str) -> str:
    """Each quoted passage in another language wrapped in a span with its lang, so a screen reader switches voice."""
    return _FOREIGN_QUOTE.sub(lambda m: f'<span lang="{m.group(2)}">“{m.group(1)}”</span> ({m.group(2)})', escaped)


def _numbered_items(first: int, text: str) -> list[tuple[int, str]]:
    """'1. Identify … 2. Read the call …' quoted as one piece -> its items, split where the next number follows."""
    items: list[tuple[int, str]] = []
    number = first
    while (at := re.search(rf"\s{number + 1}[.)]\s+(?=\S)", text)) is not None:
        items.append((number, text[:at.start()].strip()))
        text, number = text[at.end():], number + 1
    return items + [(number, text.strip())]


def _answer_lines(text: str) -> list[str]:
    """The answer as Markdown blocks: paragraphs, bullets, numbered items (a quoted '1. …' stays item 1) and
    tables ('| a | b |' rows), each kind separated from the next by a blank line so that none swallows another."""
    lines: list[str] = []
    previous = None
    for line in text.splitlines():
        if match := _ORDERED.match(line):
            kind, out = "ordered", "\n".join(f"{n}. {_escape(item)}" for n, item in
                                              _numbered_items(int(match.group(1)), match.group(2)))
        elif line.startswith("- "):
            kind, out = "bullets", f"- {_escape(line[2:])}"
        elif _TABLE_ROW.match(line):
            cells = line.strip().strip("|").split("|")
            kind, out = "table", "| " + " | ".join(_escape(c.strip()) for c in cells) + " |"
        else:
            kind, out = "text", _escape(line)
        out = _with_quote_languages(out)
        if lines and kind != previous:
            lines.append("")
        lines.append(out)
        previous = kind
    return lines


def source_line(c, language: str) -> str:
    """'[1] Title (bg, стр. 3) — Член 112': the page word in the answer's language, the section as the document
    names it (no section sign added to a 'Член'/'Article' heading)."""
    page = f", {phrase('page', language)} {c.page_start}" if c.page_start else ""
    section = f" — {_escape(c.section.strip())}" if c.section and c.section.strip() else ""
    link = f"/v1/documents/{quote(c.doc_id)}/file" + (f"#page={c.page_start}" if c.page_start else "")
    title = f'<span lang="{_lang_attr(c.language)}">{_escape(c.title)}</span>'
    return f"&#91;{c.n}&#93; [{title}]({link}) ({c.language}{page}){section}"


def render_answer(answer: Answer) -> str:
    """Answer text, then the numbered sources right under it: title, page, section, a link to the original's page."""
    lines = _answer_lines(answer.answer)
    if answer.citations:
        lines += ["", f"**{_escape(phrase('references', answer.language))}**"]
        lines += [source_line(c, answer.language) for c in answer.citations]
    return "\n".join(lines)


def answer_block(answer: Answer) -> str:
    """The rendered answer inside a block that carries the answer's language (its quotes carry their own)."""
    return f'<div class="answer" lang="{_lang_attr(answer.language)}">\n\n{render_answer(answer)}\n\n</div>'


def _filters(fund: str, country: str, doc_type: str) -> dict:
    chosen = {"fund": fund, "country": country, "doc_type": doc_type}
    return parse_filters({k: v for k, v in chosen.items() if v and v != AUTO})


def filter_notice(blockers: dict[str, int], chosen: dict) -> str:
    """'No document matches Country = BG together with Document type = regulation.' and which filter to drop."""
    named = " together with ".join(f"{FILTERS.get(k, k)} = {_escape(str(v))}" for k, v in chosen.items())
    droppable = [FILTERS.get(k, k) for k, count in blockers.items() if count]
    advice = (f" Without the {' or the '.join(droppable)} filter there are passages to answer from."
              if droppable else " Drop the filters to search every document.")
    return f"No document matches {named}.{advice}"


def recent_turns(turns: list[dict], max_turns: int, max_chars: int) -> list[dict]:
    """The latest turns of the conversation that fit the input budget (the UI keeps the whole chat on screen)."""
    kept: list[dict] = []
    total = 0
    for turn in reversed(turns[-max_turns:] if max_turns > 0 else []):
        total += len(turn["content"])
        if total > max_chars:
            break
        kept.append(turn)
    return kept[::-1]


def conversation(kept: list) -> list[dict]:
    """The conversation as asked and answered (not as rendered), from the answers behind the chat's messages."""
    return [turn for a in kept if a and "unserved_language" not in a.get("diagnostics", {})
            for turn in ({"role": "user", "content": a["question"]}, {"role": "assistant", "content": a["answer"]})]


def feedback_rating(liked) -> str | None:
    """Gradio's like event: True (Like), False (Dislike), '' or None when the same button is clicked again."""
    return "up" if liked is True else "down" if liked is False else None


def upload_refusal(name: str, exc: HTTPException, max_mb: float) -> str:
    """One sentence for the Documents tab, naming the file by its name only (never a path, never a dict)."""
    code = getattr(exc, "code", None)
    if code:
        reason = _REFUSAL_REASONS.get(code, code.replace("-", " "))
    elif exc.status_code == 415:
        reason = "the helpdesk reads PDF, Markdown, HTML, text and DOCX files only"
    elif exc.status_code == 413:
        reason = f"it is larger than the {max_mb:g} MB upload limit"
    elif exc.status_code == 507:
        reason = "the server has too little free disk space"
    elif exc.status_code == 422 and "empty" in str(exc.detail):
        reason = "the file is empty"
    else:
        reason = "it could not be read"
    return f"{name} was not added: {reason}."


def document_rows(docs: list[dict]) -> list[list]:
    """Title, language, type, pages ('—' for files without pages: Markdown, HTML, text) and chunks."""
    return [[d["title"], d["language"], d.get("doc_type") or "—",
             d["pages"] if d.get("pages") and d["name"].lower().endswith(".pdf") else "—", d["chunk_count"]]
            for d in docs]


def document_choices(docs: list[dict]) -> list[tuple[str, str]]:
    """(label, doc_id) for the keyboard's way to pick a document: its title and file name (never a path)."""
    return [(f"{d['title']} — {d['name']}", d["doc_id"]) for d in docs]


def build_ui(state: AppState) -> gr.Blocks:
    languages = [AUTO, *SERVED_LANGUAGES]
    budget = state.settings.input
    # delete_cache: Gradio's copies of files uploaded in the Documents tab go once older than an hour.
    with gr.Blocks(title="Funding Helpdesk", delete_cache=(3600, 3600)) as ui:
        gr.Markdown("## Funding Helpdesk\nAsk about ESF+ and ERDF rules in your language; every answer cites its sources.")
        with gr.Tab("Chat"):
            # No "share" button: it posts to Hugging Face, and Gradio leaves it without an accessible name.
            chatbot = gr.Chatbot(label="Helpdesk", height=480, sanitize_html=True, elem_id="chat",
                                 feedback_options=("Like", "Dislike"), buttons=["copy", "copy_all"])
            with gr.Row():
                # An English placeholder: the page is marked English, and a placeholder cannot carry a lang of its own.
                question = gr.Textbox(label="Your question", scale=4,
                                      placeholder="Ask in your language, e.g. What is the co-financing rate?",
                                      elem_id="question", max_length=budget.max_question_chars)
                send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            chat_status = gr.Markdown(elem_id="chat-status")
            with gr.Row():
                drop = {key: gr.Button(f"Drop the {label} filter and ask again", visible=False, size="sm",
                                       elem_id=f"drop-{key}") for key, label in FILTERS.items()}
            with gr.Row():
                language = gr.Dropdown(languages, value=AUTO, label="Answer language", elem_id="answer-language")
                fund = gr.Dropdown([AUTO, "ESF+", "ERDF"], value=AUTO, label="Fund", elem_id="fund")
                country = gr.Textbox(label="Country (ISO code)", value="", elem_id="country")
                doc_type = gr.Dropdown([AUTO, "regulation", "guide", "call", "national-act"], value=AUTO,
                                       label="Document type", elem_id="doc-type")
            # The Answer JSON behind each chat message (None for the user's messages and for notices), for
            # feedback and follow-ups; the feedback row stored for each message, so a second click undoes it.
            answers = gr.State([])
            ratings = gr.State({})
            pending = gr.State(None)
            last_question = gr.State("")
            hide_drops = [gr.update(visible=False) for _ in drop]

            def show_question(text, history, kept):
                """First step: the question appears at once with a working line, Ask is disabled."""
                text = (text or "").strip()
                if not text:
                    return gr.skip(), history, kept, EMPTY_QUESTION, gr.skip(), None, gr.skip(), *hide_drops
                try:
                    check_question(budget, text)
                except InputTooLarge as exc:
                    return text, history, kept, _escape(str(exc)), gr.skip(), None, gr.skip(), *hide_drops
                history = history + [{"role": "user", "content": _escape(text)},
                                     {"role": "assistant", "content": WORKING}]
                return ("", history, kept + [None, None], "", gr.update(interactive=False, value="Working…"), text,
                        text, *hide_drops)

            async def answer_question(text, history, kept, lang, fund_value, country_value, doc_type_value):
                """Second step: the answer replaces the working line; notices for empty filters; Ask enabled again."""
                if text is None:
                    return gr.skip(), gr.skip(), gr.skip(), gr.skip(), *[gr.skip() for _ in drop]
                turns = recent_turns(conversation(kept[:-2]), budget.max_history_turns, budget.max_history_chars)
                try:
                    chosen = _filters(fund_value, country_value, doc_type_value)
                except ValueError as exc:
                    history = history[:-1] + [{"role": "assistant", "content": _escape(str(exc))}]
                    return history, kept, "", gr.update(interactive=True, value="Ask"), *hide_drops
                try:
                    answer = await _admitted(state, ANSWERS, state.helpdesk.ask, text,
                                             language=None if lang == AUTO else lang, history=turns, filters=chosen)
                except Overloaded:
                    history = history[:-1] + [{"role": "assistant", "content": BUSY}]
                    return history, kept, "", gr.update(interactive=True, value="Ask"), *hide_drops
                state.metrics.count_answer(answer.answerable, answer.composer)
                history = history[:-1] + [{"role": "assistant", "content": answer_block(answer)}]
                kept = kept[:-1] + [answer.to_json_dict()]
                notice = ""
                blockers = answer.diagnostics.get("filters_match_nothing")
                if blockers is not None:
                    notice = filter_notice(blockers, chosen)
                shown = [gr.update(visible=bool((blockers or {}).get(key))) for key in drop]
                return history, kept, notice, gr.update(interactive=True, value="Ask"), *shown

            first = [question, chatbot, answers, chat_status, send, pending, last_question, *drop.values()]
            second = [chatbot, answers, chat_status, send, *drop.values()]
            settings = [language, fund, country, doc_type]
            # Once an answer is in, focus moves to it and it is announced (the script skips an answer already shown).
            arrived = f"() => {{ window.helpdeskA11y?.answerArrived({ANSWER_ARRIVED!r}); }}"
            for trigger in (send.click, question.submit):
                trigger(show_question, [question, chatbot, answers], first).then(
                    answer_question, [pending, chatbot, answers, *settings], second).then(
                    None, None, None, js=arrived)
            def dropper(key: str):
                return lambda asked: ("" if key == "country" else AUTO, asked)

            for key, button in drop.items():
                control = {"fund": fund, "country": country, "doc_type": doc_type}[key]
                button.click(dropper(key), [last_question], [control, question]).then(
                    show_question, [question, chatbot, answers], first).then(
                    answer_question, [pending, chatbot, answers, *settings], second).then(
                    None, None, None, js=arrived)

            def clear():
                """The trash button: a new conversation, with no earlier turns, filters or feedback bindings."""
                return [], {}, None, "", "", AUTO, "", AUTO, *hide_drops

            chatbot.clear(clear, None, [answers, ratings, pending, last_question, chat_status, fund, country,
                                        doc_type, *drop.values()])

            def rate(kept, stored, event: gr.LikeData):
                """Feedback on exactly the answer shown at that message; the same button again takes it back."""
                index = event.index if isinstance(event.index, int) else event.index[0]
                answer = kept[index] if 0 <= index < len(kept) else None
                if answer is None:
                    return stored
                stored = dict(stored)
                if (previous := stored.pop(index, None)) is not None:
                    state.feedback.delete(previous)
                if rating := feedback_rating(event.liked):
                    stored[index] = state.feedback.add(rating, answer["question"], answer["answer"],
                                                       answer["language"], answer["answerable"],
                                                       answer["citations"], None)
                return stored

            # Every click is sent and run in order: Gradio's default ("once") drops a click while the one before
            # it is still running, so a quick undo was shown in the page but never stored.
            chatbot.like(rate, [answers, ratings], [ratings], trigger_mode="multiple")

        with gr.Tab("Draft a reply"):
            gr.Markdown("Drafts are never stored on the server: the inquiry and the draft live only in this page.",
                        elem_id="draft-notice")
            inquiry = gr.Textbox(label="Incoming inquiry", lines=8, elem_id="inquiry", max_length=budget.max_inquiry_chars)
            with gr.Row():
                sender = gr.Textbox(label="Sender name (your signature under the closing)", lines=2,
                                    elem_id="sender")
                draft_language = gr.Dropdown(languages, value=AUTO, label="Reply language")
            make = gr.Button("Draft reply", variant="primary", elem_id="make-draft")
            draft_status = gr.Markdown(elem_id="draft-status")
            draft_box = gr.Textbox(label="Draft (editable)", lines=16, interactive=True, elem_id="draft",
                                   buttons=["copy"])
            headers = gr.Textbox(visible=False, elem_id="draft-headers")
            with gr.Row():
                download = gr.Button("Download as .txt", elem_id="draft-download")
                download_eml = gr.Button("Download as .eml", elem_id="draft-download-eml")

            async def make_draft(text, name, lang):
                """The draft and its .eml headers; a refusal goes to the status line (announced), the box is kept."""
                from service.api.routes.answers import make_draft as draft_for

                if not (text or "").strip():
                    return gr.skip(), gr.skip(), "Paste the inquiry first."
                try:
                    check_inquiry(budget, text)
                except InputTooLarge as exc:
                    return gr.skip(), gr.skip(), _escape(str(exc))
                try:
                    made = await _admitted(state, ANSWERS, draft_for, state, text, name,
                                           None if lang == AUTO else lang, {})
                except Overloaded:
                    return gr.skip(), gr.skip(), BUSY
                return made.text, eml_headers(made.subject) if made.subject else "", ""

            drafted = f"(status) => {{ if (!status) window.helpdeskA11y?.draftArrived({DRAFT_READY!r}); }}"
            make.click(make_draft, [inquiry, sender, draft_language], [draft_box, headers, draft_status]).then(
                None, [draft_status], None, js=drafted)
            download.click(None, [draft_box], None, js=_SAVE_DRAFT_JS)
            download_eml.click(None, [draft_box, headers], None, js=_SAVE_EML_JS)

        with gr.Tab("Documents"):
            admin_key = gr.Textbox(label="Admin key", type="password", elem_id="admin-key")
            docs = gr.State([])
            table = gr.Dataframe(headers=["Title", "Language", "Type", "Pages", "Chunks"], interactive=False,
                                 column_widths=["52%", "12%", "14%", "10%", "12%"], wrap=True,
                                 elem_id="documents", label="Documents (select a row to delete it)")
            # The same choice as a row click, for the keyboard and screen readers (a grid row is neither).
            choice = gr.Dropdown(label="Or choose the document to delete", choices=[], value=None,
                                 elem_id="document-choice")
            with gr.Row():
                upload = gr.File(label="Upload a document (PDF, Markdown, HTML, text, DOCX)", elem_id="upload",
                                 scale=2)
                upload_status = gr.Markdown(elem_id="upload-status")
            selected = gr.State(None)
            with gr.Row():
                delete = gr.Button("Delete the selected document", variant="stop", interactive=False,
                                   elem_id="delete")
                delete_status = gr.Markdown(elem_id="delete-status")
            with gr.Row(visible=False) as confirm_row:
                confirm = gr.Button("Yes, delete it", variant="stop", elem_id="confirm-delete")
                cancel = gr.Button("Cancel", elem_id="cancel-delete")

            def listed():
                from service.api.routes.documents import document_list

                found = document_list(state, "/")["documents"]
                return document_rows(found), found, gr.update(choices=document_choices(found), value=None)

            def checked(key: str) -> str | None:
                from service.api.auth import key_matches

                return None if key_matches(key or None, state.settings.service.keys("admin")) else "A valid admin key is required."

            def upload_file(path: Path):
                from service.api.routes.documents import store_upload

                with path.open("rb") as handle:
                    return store_upload(state, _Upload(path.name, handle), "/")

            async def do_upload(key, file):
                if file is None:
                    return gr.skip(), gr.skip(), gr.skip(), gr.skip(), ""
                path = Path(file if isinstance(file, str) else file.name)
                if error := checked(key):
                    return gr.skip(), gr.skip(), gr.skip(), None, error
                try:
                    result = await _admitted(state, DOCUMENT_WRITES, upload_file, path)
                except Overloaded:
                    return gr.skip(), gr.skip(), gr.skip(), gr.skip(), BUSY
                except HTTPException as exc:
                    return gr.skip(), gr.skip(), gr.skip(), None, _escape(upload_refusal(
                        path.name, exc, state.settings.service.max_upload_mb))
                rows, found, choices = listed()
                return rows, found, choices, None, _escape(
                    f"{path.name} was added ({result['status']}, {result['chunks']} chunks).")

            def pick(found, event: gr.SelectData):
                row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
                doc = found[row] if 0 <= row < len(found) else None
                if doc is None:
                    return None, gr.update(interactive=False), "", gr.update(visible=False)
                return doc, gr.update(interactive=True), _escape(f"Selected: {doc['title']}"), gr.update(visible=False)

            def choose(found, doc_id):
                doc = next((d for d in found if d["doc_id"] == doc_id), None)
                if doc is None:
                    return None, gr.update(interactive=False), "", gr.update(visible=False)
                return doc, gr.update(interactive=True), _escape(f"Selected: {doc['title']}"), gr.update(visible=False)

            def ask_to_delete(key, doc):
                if error := checked(key):
                    return error, gr.update(visible=False)
                if doc is None:
                    return "Select a document in the table first.", gr.update(visible=False)
                return (_escape(f"Delete “{doc['title']}” and its {doc['chunk_count']} chunks? This cannot be undone."),
                        gr.update(visible=True))

            async def do_delete(key, doc):
                from service.api.routes.documents import delete_document

                hidden = gr.update(visible=False)
                if (error := checked(key)) or doc is None:
                    return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), error or "", hidden
                try:
                    await _admitted(state, DOCUMENT_WRITES, delete_document, doc["doc_id"], state)
                except Overloaded:
                    return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), BUSY, hidden
                except HTTPException:
                    message = f"“{doc['title']}” is no longer in the index."
                else:
                    message = f"Deleted “{doc['title']}”."
                rows, found, choices = listed()
                return rows, found, choices, None, gr.update(interactive=False), _escape(message), hidden

            upload.upload(do_upload, [admin_key, upload], [table, docs, choice, upload, upload_status])
            table.select(pick, [docs], [selected, delete, delete_status, confirm_row])
            choice.input(choose, [docs, choice], [selected, delete, delete_status, confirm_row])
            delete.click(ask_to_delete, [admin_key, selected], [delete_status, confirm_row])
            confirm.click(do_delete, [admin_key, selected],
                          [table, docs, choice, selected, delete, delete_status, confirm_row])
            cancel.click(lambda: ("", gr.update(visible=False)), None, [delete_status, confirm_row])
            ui.load(listed, None, [table, docs, choice])
    return ui


async def _admitted(state: AppState, lane: str, work, *args, **kwargs):
    """Runs `work` in a worker thread once its lane admits it: the UI shares the API's limit and queue."""
    async with state.admission.lane(lane).slot():
        return await asyncio.to_thread(work, *args, **kwargs)


class _Upload:
    """The two attributes of FastAPI's UploadFile that the upload route reads."""

    def __init__(self, filename: str, handle) -> None:
        self.filename = filename
        self.file = handle


def ui_theme() -> gr.themes.Base:
    """Gradio's default theme with colours that pass WCAG AA contrast (4.5:1 for text): darker primary and stop
    buttons (white on Gradio's orange-500 or red-500 falls short), darker secondary text (hints, the footer, the
    upload's "- or -")."""
    return gr.themes.Default().set(
        button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_800",
        button_primary_border_color="*primary_700", button_primary_background_fill_dark="*primary_700",
        button_primary_background_fill_hover_dark="*primary_800",
        button_cancel_background_fill="#b91c1c", button_cancel_background_fill_hover="#991b1b",
        body_text_color_subdued="*neutral_600", input_placeholder_color="*neutral_500",
        block_label_text_color="*neutral_600")


def ui_script() -> str:
    """The page-load script (service/assets/a11y.js): page language, live region, names Gradio leaves out."""
    import json

    return ((_ASSETS / "a11y.js").read_text(encoding="utf-8").replace("__UI_LANGUAGE__", UI_LANGUAGE)
            .replace("__STATUS_IDS__", json.dumps(list(STATUS_IDS))))


def mount_ui(app: FastAPI, state: AppState) -> FastAPI:
    return gr.mount_gradio_app(app, build_ui(state), path="/", theme=ui_theme(),
                               css=(_ASSETS / "a11y.css").read_text(encoding="utf-8"), js=ui_script())
