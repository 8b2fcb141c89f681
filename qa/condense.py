"""Turns the last turn of a conversation into a standalone question before retrieval.

With an LLM, the model rewrites it. Without one, a follow-up ("And for transition regions?") carries the
previous question's subject terms, which is enough for retrieval to find the same passages again.
"""

from __future__ import annotations

import re

from qa.llm import ChatBackend

# A turn opening with a connective leans on the previous one. One-letter Latin connectives (cs/pl "a", "i", es "y",
# it/pt "e") are left out: they open ordinary questions as articles and pronouns ("A list of ...", "I need ...").
_CONNECTIVES = {
    "and", "but", "also", "what about", "how about", "et", "mais", "und", "aber", "en", "maar", "и", "а", "ами",
    "και", "ja", "aga", "și", "iar", "ed", "és", "ir", "un", "och", "og", "agus",
    "ta", "pa", "ale", "ma", "pero", "mas", "и ещё", "а как", "entä", "sekä", "samt",
}
# Interrogatives and similar words that say nothing about the subject of a question.
_NOT_SUBJECT = {
    "what", "which", "when", "where", "whom", "whose", "does", "have", "there", "that", "this", "with",
    "quel", "quelle", "quels", "quelles", "comment", "quand", "pour", "sont", "est-ce", "welche", "welcher",
    "welches", "wann", "wie", "für", "gilt", "sind", "welke", "wanneer", "voor", "zijn", "какъв", "каква",
    "какво", "какви", "кога", "кой", "коя", "който", "какой", "какая", "какое", "какие", "когда", "для",
    "ποιος", "ποια", "ποιο", "ποιες", "πότε", "πώς", "είναι", "για", "milline", "millised", "mis", "kuidas",
    "kas", "jaoks", "care", "cuál", "cuáles", "quale", "quali", "qual", "quais", "jaki", "jaka", "jakie",
    "który", "která", "který", "jaký", "jaká", "koji", "koja", "kateri", "katera", "melyik", "milyen", "koks",
    "kokia", "kāds", "kāda", "mikä", "mitkä", "vilken", "vilka", "hvilken", "hvilke", "liema", "x'inhu", "cén",
}

CONDENSE_PROMPT = """Rewrite the user's last message as one standalone question that can be understood without the
conversation. Keep its language. Keep names, numbers, funds, periods and regions from the conversation that the
last message refers to. Reply with the question only."""


def is_follow_up(question: str) -> bool:
    words = question.casefold().split()
    if not words:
        return False
    opening = " ".join(words[:2])
    return words[0].strip(",") in _CONNECTIVES or opening in _CONNECTIVES


def subject_terms(question: str, exclude: str) -> list[str]:
    """Content words of `question` that `exclude` does not already contain, in order."""
    excluded = {w.casefold() for w in re.findall(r"[\w'-]+", exclude)}
    terms: list[str] = []
    for word in re.findall(r"[\w'-]+", question):
        folded = word.casefold()
        if len(word) >= 4 and folded not in _NOT_SUBJECT and folded not in excluded and word not in terms:
            terms.append(word)
    return terms


def condense(history: list[dict[str, str]], question: str, client: ChatBackend | None = None) -> str:
    """The standalone form of `question` given earlier `history` turns ({"role", "content"})."""
    earlier_questions = [t["content"] for t in history if t.get("role") == "user" and t.get("content")]
    if not earlier_questions:
        return question
    if client is not None:
        transcript = "\n".join(f"{t['role']}: {t['content']}" for t in history if t.get("content"))
        rewritten = client.complete([
            {"role": "system", "content": CONDENSE_PROMPT},
            {"role": "user", "content": f"Conversation:\n{transcript}\n\nLast message: {question}"},
        ]).strip()
        return rewritten.splitlines()[0].strip() if rewritten else question
    if not is_follow_up(question):
        return question
    terms = subject_terms(earlier_questions[-1], exclude=question)
    return f"{question} ({' '.join(terms)})" if terms else question
