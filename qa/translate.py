"""Query translation for retrieval: with an LLM, the question is also searched in the corpus's main languages.

Cross-lingual similarity between a short question and a long legal passage is weaker than same-language
similarity, so a Bulgarian question about a rule written in English and French is also asked in English and
French; the retriever keeps each passage's best score over the variants. Off unless HELPDESK_SEARCH_TRANSLATE_TO
names languages and an LLM is configured.
"""

from __future__ import annotations

from qa.llm import ChatBackend
from qa.templates import language_name

TRANSLATE_PROMPT = """Translate the user's question into {language_name}. Keep names, numbers, funds, regulation
and article numbers as they are. Reply with the translated question only, on one line."""

# A translated question is short; a longer reply is the model answering instead of translating.
MAX_TRANSLATION_TOKENS = 120


def translate_query(client: ChatBackend, question: str, language: str, targets: list[str]) -> dict[str, str]:
    """The question in each target language other than its own: {language: text}; LLMError on failure."""
    translations: dict[str, str] = {}
    for target in dict.fromkeys(targets):
        if target == language:
            continue
        reply = client.complete([
            {"role": "system", "content": TRANSLATE_PROMPT.format(language_name=language_name(target, "en"))},
            {"role": "user", "content": question},
        ], max_tokens=MAX_TRANSLATION_TOKENS)
        lines = [line.strip().strip('"“”«»') for line in reply.strip().splitlines() if line.strip()]
        if lines and lines[0].casefold() != question.casefold():
            translations[target] = lines[0]
    return translations
