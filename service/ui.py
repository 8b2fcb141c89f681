"""The Gradio UI, mounted on the API app at /: Chat for providers, Draft for staff, Documents for admins.

The UI calls the same AppState as the API, in process, and waits in the same admission queue (service/api/admission.py). Everything that comes from documents (answer quotes,
titles, sections) is HTML-escaped before rendering, so a document cannot inject markup or script into the page.
"""

from __future__ import annotations

import asyncio
import html
from pathlib import Path
from urllib.parse import quote

import gradio as gr
from fastapi import FastAPI, HTTPException

from common.schema import Answer
from common.settings import SERVED_LANGUAGES
from qa.draft import draft_reply
from qa.retriever import parse_filters
from service.api.admission import ANSWERS, DOCUMENT_WRITES, Overloaded
from service.api.budget import InputTooLarge, check_inquiry, check_question
from service.api.state import AppState

AUTO = "auto"
BUSY = "The helpdesk is busy right now; please try again in a moment."
_SAVE_DRAFT_JS = """(text) => {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text || ""], {type: "text/plain;charset=utf-8"}));
  link.download = "reply-draft.txt";
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}"""


def _escape(text: str) -> str:
    """Plain text for a Markdown renderer: HTML escaped, Markdown link/emphasis syntax neutralised."""
    escaped = html.escape(text, quote=False)
    return escaped.replace("[", "&#91;").replace("]", "&#93;").replace("*", "&#42;").replace("_", "&#95;") \
        .replace("`", "&#96;")


def render_answer(answer: Answer) -> str:
    """Answer text, then numbered sources with title, page, section and a link to the page of the original."""
    lines: list[str] = []
    for line in answer.answer.splitlines():
        if lines and lines[-1].startswith("- ") and not line.startswith("- "):
            lines.append("")  # end the Markdown list, or the closing line joins the last item
        lines.append(_escape(line))
    if answer.citations:
        lines += ["", "---"]
    for c in answer.citations:
        page = f", p. {c.page_start}" if c.page_start else ""
        section = f" — § {_escape(c.section)}" if c.section else ""
        link = f"/v1/documents/{quote(c.doc_id)}/file" + (f"#page={c.page_start}" if c.page_start else "")
        lines.append(f"&#91;{c.n}&#93; [{_escape(c.title)}]({link}) ({c.language}{page}){section}")
    return "\n".join(lines)


def _filters(fund: str, country: str, doc_type: str) -> dict:
    chosen = {"fund": fund, "country": country, "doc_type": doc_type}
    return parse_filters({k: v for k, v in chosen.items() if v and v != AUTO})


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


def build_ui(state: AppState) -> gr.Blocks:
    languages = [AUTO, *SERVED_LANGUAGES]
    budget = state.settings.input
    # delete_cache: Gradio's copies of files uploaded in the Documents tab go once older than an hour.
    with gr.Blocks(title="Funding Helpdesk", delete_cache=(3600, 3600)) as ui:
        gr.Markdown("## Funding Helpdesk\nAsk about ESF+ and ERDF rules in your language; every answer cites its sources.")
        with gr.Tab("Chat"):
            chatbot = gr.Chatbot(label="Helpdesk", height=480, sanitize_html=True, elem_id="chat",
                                 feedback_options=("Like", "Dislike"))
            with gr.Row():
                question = gr.Textbox(label="Your question", placeholder="Какъв е процентът на съфинансиране…",
                                      scale=4, elem_id="question", max_length=budget.max_question_chars)
                send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            with gr.Row():
                language = gr.Dropdown(languages, value=AUTO, label="Answer language")
                fund = gr.Dropdown([AUTO, "ESF+", "ERDF"], value=AUTO, label="Fund")
                country = gr.Textbox(label="Country (ISO code)", value="")
                doc_type = gr.Dropdown([AUTO, "regulation", "guide", "call", "national-act"], value=AUTO,
                                       label="Document type")
            answers = gr.State([])  # the Answer JSON behind each assistant message, for feedback

            async def respond(text, history, kept, lang, fund_value, country_value, doc_type_value):
                text = (text or "").strip()
                if not text:
                    return "", history, kept
                try:
                    check_question(budget, text)
                except InputTooLarge as exc:
                    return text, history + [{"role": "assistant", "content": _escape(str(exc))}], kept
                # The conversation as asked and answered, not as rendered (escaped) in the chat window.
                turns = [turn for a in kept for turn in ({"role": "user", "content": a["question"]},
                                                         {"role": "assistant", "content": a["answer"]})]
                turns = recent_turns(turns, budget.max_history_turns, budget.max_history_chars)
                try:
                    answer = await _admitted(state, ANSWERS, state.helpdesk.ask, text, language=None if lang == AUTO else lang,
                                             history=turns, filters=_filters(fund_value, country_value, doc_type_value))
                except Overloaded:
                    return text, history + [{"role": "assistant", "content": BUSY}], kept
                state.metrics.count_answer(answer.answerable, answer.composer)
                history = history + [{"role": "user", "content": _escape(text)},
                                     {"role": "assistant", "content": render_answer(answer)}]
                return "", history, kept + [answer.to_json_dict()]

            inputs = [question, chatbot, answers, language, fund, country, doc_type]
            send.click(respond, inputs, [question, chatbot, answers])
            question.submit(respond, inputs, [question, chatbot, answers])

            def rate(kept, event: gr.LikeData):
                assistant_index = event.index // 2 if isinstance(event.index, int) else event.index[0] // 2
                if 0 <= assistant_index < len(kept):
                    answer = kept[assistant_index]
                    state.feedback.add("up" if event.liked else "down", answer["question"], answer["answer"],
                                       answer["language"], answer["answerable"], answer["citations"], None)

            chatbot.like(rate, [answers], None)

        with gr.Tab("Draft a reply"):
            gr.Markdown("Drafts are never stored on the server: the inquiry and the draft live only in this page.",
                        elem_id="draft-notice")
            inquiry = gr.Textbox(label="Incoming inquiry", lines=8, elem_id="inquiry", max_length=budget.max_inquiry_chars)
            sender = gr.Textbox(label="Sender name (optional)")
            draft_language = gr.Dropdown(languages, value=AUTO, label="Reply language")
            make = gr.Button("Draft reply", variant="primary")
            draft_box = gr.Textbox(label="Draft (editable)", lines=16, interactive=True, elem_id="draft",
                                   buttons=["copy"])
            download = gr.Button("Download as .txt", elem_id="draft-download")

            async def make_draft(text, name, lang):
                if not (text or "").strip():
                    return ""
                try:
                    check_inquiry(budget, text)
                except InputTooLarge as exc:
                    return str(exc)
                try:
                    answer = await _admitted(state, ANSWERS, state.helpdesk.ask, text,
                                             language=None if lang == AUTO else lang)
                except Overloaded:
                    return BUSY
                return draft_reply(answer, name)

            make.click(make_draft, [inquiry, sender, draft_language], [draft_box])
            # The file is made in the browser from the edited text, so no copy of the draft is written server-side.
            download.click(None, [draft_box], None, js=_SAVE_DRAFT_JS)

        with gr.Tab("Documents"):
            admin_key = gr.Textbox(label="Admin key", type="password")
            table = gr.Dataframe(headers=["doc_id", "title", "language", "pages", "file"], interactive=False)
            refresh = gr.Button("Refresh")
            upload = gr.File(label="Upload a document (PDF, Markdown, HTML, text, DOCX)")
            delete_id = gr.Textbox(label="doc_id to delete")
            delete = gr.Button("Delete", variant="stop")
            status = gr.Markdown()

            def rows():
                from service.api.routes.documents import document_list

                docs = document_list(state, "/")["documents"]
                return [[d["doc_id"], d["title"], d["language"], d["pages"], d["name"]] for d in docs]

            def checked(key: str) -> str | None:
                from service.api.auth import key_matches

                return None if key_matches(key or None, state.settings.service.keys("admin")) else "A valid admin key is required."

            def upload_file(path: Path):
                from service.api.routes.documents import store_upload

                with path.open("rb") as handle:
                    return store_upload(state, _Upload(path.name, handle), "/")

            async def do_upload(key, file):
                if (error := checked(key)) or file is None:
                    return rows(), error or ""
                path = Path(file if isinstance(file, str) else file.name)
                try:
                    result = await _admitted(state, DOCUMENT_WRITES, upload_file, path)
                except HTTPException as exc:
                    return rows(), _escape(f"Refused: {exc.detail}")
                except Overloaded:
                    return rows(), BUSY
                return rows(), _escape(f"{result['status']}: {path.name} ({result['chunks']} chunks)")

            async def do_delete(key, doc_id):
                from service.api.routes.documents import delete_document

                if error := checked(key):
                    return rows(), error
                try:
                    await _admitted(state, DOCUMENT_WRITES, delete_document, doc_id.strip(), state)
                except HTTPException as exc:
                    return rows(), _escape(str(exc.detail))
                except Overloaded:
                    return rows(), BUSY
                return rows(), _escape(f"deleted {doc_id}")

            refresh.click(rows, None, table)
            upload.upload(do_upload, [admin_key, upload], [table, status])
            delete.click(do_delete, [admin_key, delete_id], [table, status])
            ui.load(rows, None, table)
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


def mount_ui(app: FastAPI, state: AppState) -> FastAPI:
    return gr.mount_gradio_app(app, build_ui(state), path="/")
