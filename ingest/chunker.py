"""Structure-aware chunking: split at article / section headings in many languages (common/text.py), then pack whole
sentences into windows of a configurable size with overlap. Each chunk keeps its pages and heading path."""

from __future__ import annotations

from dataclasses import dataclass, field

from common.text import MAX_HEADING, ends_with_punctuation, heading, opens_with_bullet, split_sentences
from ingest.loaders.base import Page


@dataclass
class Chunk:
    text: str  # heading context + body: what is embedded and shown
    body: str
    page_start: int | None
    page_end: int | None
    section: str | None
    # [offset in `text`, page] where each page of the chunk begins, so that a quote can cite its own page.
    page_breaks: list[list[int]] = field(default_factory=list)


@dataclass
class _Section:
    path: list[str]
    lines: list[tuple[int | None, str]]  # (page, line); "" marks a paragraph break


def _sections(pages: list[Page]) -> list[_Section]:
    stack: list[tuple[int, str]] = []
    sections = [_Section([], [])]
    for page in pages:
        lines = page.text.split("\n")
        skip = False
        for i, raw in enumerate(lines):
            if skip:
                skip = False
                continue
            line = raw.strip()
            following = next((l.strip() for l in lines[i + 1 : i + 2] if l.strip()), None)
            found = heading(line, following) if line else None
            if found is None:
                sections[-1].lines.append((page.number, line))
                continue
            level, text, skip = found
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text[:MAX_HEADING]))
            sections.append(_Section([t for _, t in stack], []))
    return [s for s in sections if any(line for _, line in s.lines)]


def _section_label(path: list[str]) -> str | None:
    # Level-1 headings are usually the document title, already in `title`.
    return " › ".join(path[1:] if len(path) > 1 else path) or None


def _sentences_with_pages(section: _Section) -> list[tuple[str, int | None]]:
    text_parts: list[str] = []
    offsets: list[tuple[int, int | None]] = []
    length = 0
    for page, line in section.lines:
        piece = (line + "\n") if line else "\n\n"  # lines stay lines: one opening a bullet opens a sentence
        offsets.append((length, page))
        text_parts.append(piece)
        length += len(piece)
    text = "".join(text_parts)
    out: list[tuple[str, int | None]] = []
    cursor = 0
    for sentence in split_sentences(text):
        words = sentence.split()
        found = text.find(words[0], cursor)
        position = found if found >= 0 else cursor
        # Move the cursor past this whole sentence (word by word: whitespace was normalised), so the next
        # sentence is not matched against this one's first word when both start alike ("The ...", "Sentence ...").
        end = position
        for word in words:
            hit = text.find(word, end)
            if hit < 0:
                break
            end = hit + len(word)
        cursor = max(cursor, end)
        page = next((p for start, p in reversed(offsets) if start <= position), None)
        out.append((sentence, page))
    return out


def _joint(before: str, after: str) -> str:
    """What joins two of a section's sentences in a chunk, so that the chunk's units (common/units.py) split where
    the section's sentences did: a line break before a bulleted one, a blank line after one that ends in no
    punctuation (a list item "- … EUR 60 000", then the paragraph after the list: read again as one text they
    would run together), else a space."""
    if opens_with_bullet(after):
        return "\n"
    if not ends_with_punctuation(before):
        return "\n\n"
    return " "


def _split_long(sentence: str, size: int) -> list[str]:
    # Words longer than a window (URLs, table rows without spaces) are cut to fit.
    words = [w[i : i + size] for w in sentence.split() for i in range(0, len(w), size)]
    pieces, current = [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > size:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return pieces + ([current] if current else [])


def chunk_pages(pages: list[Page], size: int = 900, overlap: int = 150) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in _sections(pages):
        label = _section_label(section.path)
        context = " › ".join(section.path[-2:])
        units: list[tuple[str, int | None]] = []
        for sentence, page in _sentences_with_pages(section):
            units.extend((piece, page) for piece in _split_long(sentence, size))
        window: list[tuple[str, int | None]] = []
        window_len = 0
        fresh = 0  # sentences in the window not already emitted in the previous chunk

        def emit() -> None:
            joints = [_joint(before, after) for (before, _), (after, _) in zip(window, window[1:])]
            body = window[0][0] + "".join(joint + s for joint, (s, _) in zip(joints, window[1:]))
            pages_seen = [p for _, p in window if p is not None]
            offset = len(context) + 1 if context else 0
            breaks: list[list[int]] = []
            for (sentence, page), joint in zip(window, [*joints, ""]):
                if page is not None and (not breaks or breaks[-1][1] != page):
                    breaks.append([offset, page])
                offset += len(sentence) + len(joint)
            chunks.append(Chunk(
                text=f"{context}\n{body}" if context else body, body=body,
                page_start=min(pages_seen) if pages_seen else None,
                page_end=max(pages_seen) if pages_seen else None, section=label, page_breaks=breaks,
            ))

        for unit in units:
            if window and window_len + 1 + len(unit[0]) > size:
                emit()
                carried: list[tuple[str, int | None]] = []
                carried_len = 0
                for old in reversed(window):
                    if carried_len + len(old[0]) > overlap:
                        break
                    carried.insert(0, old)
                    carried_len += len(old[0]) + 1
                while carried and carried_len + len(unit[0]) > size:  # the overlap must not overflow the window
                    carried_len -= len(carried.pop(0)[0]) + 1
                window, window_len, fresh = carried, carried_len, 0
            window.append(unit)
            window_len += len(unit[0]) + 1
            fresh += 1
        if window and fresh:
            emit()
    return chunks
