"""Reply drafts for helpdesk staff: an inquiry is split into its questions, each answered like a chat question.

The draft: a greeting to the inquirer (named when the inquiry's signature names them), one numbered point per
question with its cited answer (or a plain "we will check this with the managing authority"), one reference list
for the whole draft, the open-points line, and the closing with the staff member's signature ("Sender name").
Everything we write is in the inquiry's language (qa/templates.py); how an inquiry opens, signs off and asks is
read with per-language cue words (qa/data/inquiry.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.header import Header
from functools import lru_cache
from pathlib import Path

import yaml

from common.language import detect_language, unserved_language, unserved_notice
from common.schema import Answer, Citation
from qa.templates import phrase

_DATA = Path(__file__).with_name("data") / "inquiry.yaml"
# A question mark ends a question; Greek writes it as ";" (or U+037E), which elsewhere only separates clauses.
_QUESTION_MARKS = "?\uff1f"
_GREEK_QUESTION_MARKS = ";\u037e"
# Candidate sentence ends; a full stop counts only before a capital, and not after an ordinal ("15. března",
# "15. März") or an initial ("J. Novák").
_BOUNDARY = re.compile(r"(?<=[?\uff1f!;\u037e.])\s+|\n\s*\n|\n(?=\s*(?:[-•*]|\d+[.)])\s)")
_MARKER = re.compile(r"\[(\d+)\]")
_MAX_NAME_WORDS = 4
_MAX_SUBJECT = 70


@lru_cache(maxsize=1)
def inquiry_words() -> dict[str, dict[str, list[str]]]:
    """Per language: `greetings`, `closings`, `requests` (lower-case cue phrases)."""
    return yaml.safe_load(_DATA.read_text(encoding="utf-8"))["languages"]


@lru_cache(maxsize=64)
def _cues(kind: str, language: str | None) -> re.Pattern[str]:
    """Cue phrases of `kind` in `language` and English (every language when it is not known), at word starts."""
    words = inquiry_words()
    langs = [language, "en"] if language in words else list(words)
    phrases = sorted({p for lang in langs for p in words[lang][kind]}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)", re.IGNORECASE)


@dataclass
class Inquiry:
    """An inquiry as read: its questions, the sentences around them, and the inquirer's name if it signs off."""

    questions: list[str]
    inquirer: str | None = None
    body: str = ""


def _question_marks(language: str | None) -> str:
    return _QUESTION_MARKS + (_GREEK_QUESTION_MARKS if language == "el" else "")


def _sentences(text: str, language: str | None) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        before = text[start:match.start()]
        if not before.strip():
            continue
        end = before.rstrip()[-1]
        if "\n" not in match.group(0):
            if end == ";" and language != "el":
                continue
            if end == ".":
                words = before[:-1].split()
                last = words[-1] if words else ""
                ordinal = re.search(r"(?<!\d)\d{1,2}$", last)  # "15. März", not "… 31.12.2029. Bitte"
                if not text[match.end():match.end() + 1].isupper() or ordinal or len(last) == 1:
                    continue
        pieces.append(before)
        start = match.end()
    pieces.append(text[start:])
    return [" ".join(p.split()) for p in pieces if p.strip()]


def _name(line: str) -> str | None:
    """'Mila Ivanova from Ruse' -> 'Mila Ivanova': the capitalised words a signature line starts with."""
    line = re.split(r"[,;(|/–—-]\s", line.strip(), maxsplit=1)[0].strip(" .,;:!")
    words: list[str] = []
    for word in line.split():
        if not word[0].isupper() or not all(c.isalpha() or c in ".'’-" for c in word):
            break
        words.append(word)
    if not words or len(words) > _MAX_NAME_WORDS or not any(len(w.strip(".")) > 1 for w in words):
        return None
    return " ".join(words)


def _is_question(sentence: str, language: str | None) -> bool:
    return sentence.rstrip(" )\"'»“”")[-1:] in _question_marks(language) or bool(_cues("requests", language).search(sentence))


def _strip_greeting(text: str, language: str | None) -> str:
    """Drops an opening 'Dobrý den,' / 'Dear Ms Novak,' (up to its comma, '!' or line end)."""
    lead = text.lstrip()
    match = _cues("greetings", language).match(lead)
    if not match:
        return text
    end = re.search(r"[,!:.\n]", lead[match.end():])
    cut = match.end() + end.end() if end and len(lead[match.end():match.end() + end.start()].split()) <= 4 else None
    return lead[cut:] if cut is not None else text


def read_inquiry(text: str, language: str | None = None) -> Inquiry:
    """The questions of an inquiry (sentences ending in a question mark, or asking with a request cue word),
    and the inquirer's name from the signature after a closing line ('S pozdravem\\nJana Nováková') or from a
    short unpunctuated last line ('… regions? Mila Ivanova from Ruse')."""
    lines = text.replace("\r\n", "\n").strip().split("\n")
    inquirer: str | None = None
    closings = _cues("closings", language)
    for i in range(len(lines) - 1, -1, -1):
        match = closings.match(lines[i].strip())
        if match and len(lines[i].split()) <= 6:
            signature = [lines[i].strip()[match.end():].strip(" ,.!")] + [line.strip() for line in lines[i + 1:]]
            inquirer = next((_name(line) for line in signature if line), None)
            lines = lines[:i]
            break
    body = _strip_greeting("\n".join(lines), language)
    sentences = _sentences(body, language)
    if inquirer is None and len(sentences) > 1 and not _is_question(sentences[-1], language) \
            and not re.search(r"[.!]$", sentences[-1]) and (name := _name(sentences[-1])):
        inquirer = name
        sentences = sentences[:-1]
    questions = [s[:1].upper() + s[1:] for s in sentences if _is_question(s, language)]
    if not questions and sentences:
        questions = [" ".join(sentences)]
    return Inquiry(questions, inquirer, " ".join(sentences))


@dataclass
class DraftPart:
    question: str
    answer: Answer
    text: str  # the answer, or the "we will check" line, with citations numbered for the whole draft


@dataclass
class Draft:
    language: str
    text: str
    subject: str
    inquirer: str | None = None
    parts: list[DraftPart] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    notice: str | None = None  # set instead of parts when the inquiry's language is not served

    @property
    def answerable(self) -> bool:
        return any(part.answer.answerable for part in self.parts)


def renumber(answers: list[Answer]) -> tuple[list[str], list[Citation]]:
    """Each answer's text with its [n] markers renumbered into one reference list (a source cited by two answers
    keeps one number), and that list."""
    merged: list[Citation] = []
    keys: dict[tuple, int] = {}
    texts: list[str] = []
    for answer in answers:
        mapping: dict[int, int] = {}
        for c in answer.citations:
            key = (c.doc_id, c.page_start, c.page_end, c.section, c.text)
            if key not in keys:
                keys[key] = len(merged) + 1
                merged.append(c.model_copy(update={"n": keys[key]}))
            mapping[c.n] = keys[key]
        texts.append(_MARKER.sub(lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping
                                 else m.group(0), answer.answer))
    return texts, merged


def reference_line(citation: Citation, language: str = "en") -> str:
    """'[1] Title, p. 90, Article 112 – Co-financing rates, https://...#page=90' (the page word localised)."""
    parts = [citation.title]
    if citation.page_start:
        same = citation.page_end in (None, citation.page_start)
        parts.append(f"{phrase('page', language)} {citation.page_start}" if same
                     else f"{phrase('pages', language)} {citation.page_start}-{citation.page_end}")
    if citation.section:
        parts.append(citation.section)
    if citation.url:
        parts.append(citation.url + (f"#page={citation.page_start}" if citation.page_start and
                                     citation.url.lower().split("?")[0].endswith(".pdf") else ""))
    return f"[{citation.n}] " + ", ".join(parts)


def subject_line(inquiry: Inquiry) -> str:
    """'Re: ' and the first question, cut at a word before _MAX_SUBJECT characters."""
    first = inquiry.questions[0] if inquiry.questions else ""
    if len(first) > _MAX_SUBJECT:
        first = first[:_MAX_SUBJECT].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return f"Re: {first}".strip()


def _without_contact(text: str, language: str) -> str:
    """The answer without its closing pointer to the managing authority: the draft says that once, at the end."""
    contact = phrase("contact", language)
    return "\n".join(line for line in text.split("\n") if line.strip() != contact).strip()


def compose_draft(ask: Callable[[str, str, list[dict[str, str]]], Answer], inquiry_text: str,
                  sender_name: str | None = None, language: str | None = None) -> Draft:
    """`ask(question, language, history)` answers one question (the helpdesk's ask, with the caller's filters);
    the questions before it are its history, so that "And for transition regions?" keeps its subject."""
    if language is None and (foreign := unserved_language(inquiry_text)):
        notice = unserved_notice(foreign)
        return Draft(language="en", text=notice, subject="", notice=notice)
    rough = read_inquiry(inquiry_text)
    lang = language or detect_language(rough.body or inquiry_text)
    inquiry = read_inquiry(inquiry_text, lang)
    answers: list[Answer] = []
    for question in inquiry.questions:
        history = [{"role": role, "content": text} for a in answers
                   for role, text in (("user", a.question), ("assistant", a.answer))]
        answers.append(ask(question, lang, history))
    texts, citations = renumber(answers)
    parts = [DraftPart(q, a, _without_contact(t, lang) if a.answerable else phrase("will_check", lang, topic=q))
             for q, a, t in zip(inquiry.questions, answers, texts)]
    greeting = phrase("greeting_named", lang, name=inquiry.inquirer) if inquiry.inquirer else phrase("greeting", lang)
    lines = [greeting, "", phrase("thanks", lang)]
    for i, part in enumerate(parts, 1):
        lines += ["", f"{i}. {part.question}" if len(parts) > 1 else part.question, part.text]
    if citations:
        lines += ["", phrase("references", lang)] + [reference_line(c, lang) for c in citations]
        lines += ["", phrase("open_points", lang)]
    signature = [line.strip() for line in (sender_name or "").splitlines() if line.strip()]
    lines += ["", phrase("closing", lang), *signature]
    return Draft(lang, "\n".join(lines), subject_line(inquiry), inquiry.inquirer, parts, citations)


def eml_headers(subject: str) -> str:
    """The header block of an unsent e-mail (.eml) whose body is the draft's UTF-8 text, CRLF line ends."""
    encoded = Header(subject, "utf-8").encode() if subject else ""
    return (f"Subject: {encoded}\r\nX-Unsent: 1\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")


def eml_message(subject: str, body: str) -> str:
    """What the Draft tab's .eml download holds (the browser does the same join, on the edited text)."""
    return eml_headers(subject) + body.replace("\r\n", "\n").replace("\n", "\r\n")
