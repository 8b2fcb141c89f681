"""Reply drafts for helpdesk staff: greeting, the cited answer, numbered references, the open points, closing.

Everything we write is in the inquiry's language (templates in qa/templates.py); the answer itself comes from
the helpdesk, so the draft cites exactly what `ask` cites and refuses when `ask` refuses.
"""

from __future__ import annotations

from common.schema import Answer, Citation
from qa.templates import phrase


def reference_line(citation: Citation) -> str:
    """'[1] Title, p. 90, Article 112 – Co-financing rates, https://...#page=90'"""
    parts = [citation.title]
    if citation.page_start:
        same = citation.page_end in (None, citation.page_start)
        parts.append(f"p. {citation.page_start}" if same else f"pp. {citation.page_start}-{citation.page_end}")
    if citation.section:
        parts.append(citation.section)
    if citation.url:
        parts.append(citation.url + (f"#page={citation.page_start}" if citation.page_start and
                                     citation.url.lower().split("?")[0].endswith(".pdf") else ""))
    return f"[{citation.n}] " + ", ".join(parts)


def draft_reply(answer: Answer, sender_name: str | None = None) -> str:
    lang = answer.language
    name = " ".join((sender_name or "").split())
    lines = [phrase("greeting_named", lang, name=name) if name else phrase("greeting", lang), "",
             phrase("thanks", lang), "", answer.answer]
    if answer.answerable and answer.citations:
        lines += ["", phrase("references", lang)] + [reference_line(c) for c in answer.citations]
        lines += ["", phrase("open_points", lang)]
    lines += ["", phrase("closing", lang)]
    return "\n".join(lines)
