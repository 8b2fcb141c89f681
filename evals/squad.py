"""Imports SQuAD v1.1-format files (XQuAD, MLQA) as a corpus of paragraph files plus questions in the dataset format.

The corpus is the contexts file's paragraphs, one text file each, in file order. A question's gold passage is the
contexts paragraph at the position its own paragraph has in the questions file: XQuAD files are parallel across
languages, so Greek questions can be asked over the English paragraphs. The evidence is, for each chunk the ingest
pipeline cuts from the gold paragraph, the start of that chunk, lengthened until no other paragraph contains it:
the chunks of the gold paragraph, and nothing else, are relevant. Answers become facts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.language import detect_document_language
from common.settings import Settings
from evals.dataset import EvalQuestion, spread, write_dataset
from evals.matching import normalize
from ingest.chunker import chunk_pages
from ingest.clean import clean_pages
from ingest.loaders import Page, load_document

SNIPPET_CHARS = 60


class SquadError(ValueError):
    """A file that is not in SQuAD format, or questions that have no paragraph to point to."""


@dataclass
class SquadImport:
    corpus: Path
    dataset: Path
    questions: list[EvalQuestion]


def read_paragraphs(path: Path) -> list[dict[str, Any]]:
    """Every paragraph ({"context", "qas"}) of every article, in file order."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        paragraphs = [p for article in data["data"] for p in article["paragraphs"]]
        if not all(isinstance(p["context"], str) and all(isinstance(qa["question"], str) for qa in p["qas"])
                   for p in paragraphs):
            raise TypeError("a context or a question is not text")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SquadError(f"{path}: not a SQuAD v1.1-format file ({exc})") from exc
    return paragraphs


def import_squad(questions_file: Path, contexts_file: Path | None, settings: Settings, *, limit: int | None = None,
                 language: str | None = None) -> SquadImport:
    """Writes the corpus and the dataset under the data dir (stable paths, so the index is reused) and returns them."""
    contexts_file = contexts_file or questions_file
    asked, paragraphs = read_paragraphs(questions_file), read_paragraphs(contexts_file)
    if len(asked) > len(paragraphs):
        raise SquadError(f"{questions_file} has {len(asked)} paragraphs but {contexts_file} only {len(paragraphs)}: "
                         "the files are not parallel")
    root = settings.data_dir / "evals" / "squad"
    corpus = root / f"corpus-{hashlib.sha256(contexts_file.read_bytes()).hexdigest()[:12]}"
    files = _write_corpus(corpus, [p["context"] for p in paragraphs])
    cleaned = [clean_pages(load_document(f, f.read_bytes()).pages, settings.ingest.header_footer_min_share)
               for f in files]
    haystacks = [normalize(" ".join(page.text for page in pages)) for pages in cleaned]

    qas = [(i, j, qa) for i, paragraph in enumerate(asked) for j, qa in enumerate(paragraph["qas"])]
    question_language = language or detect_document_language(" ".join(qa["question"] for _, _, qa in qas[:200]),
                                                             tuple(settings.languages))
    corpus_language = detect_document_language(" ".join(p["context"] for p in paragraphs[:20]),
                                               tuple(settings.languages))
    tags = ["squad", "same-language" if question_language == corpus_language else "cross-lingual"]
    parallel = paragraphs if contexts_file.resolve() != questions_file.resolve() else None

    evidence: dict[int, list[str]] = {}
    questions: list[EvalQuestion] = []
    seen: set[str] = set()
    for i, j, qa in spread(qas, limit):
        answerable = not qa.get("is_impossible", False)  # SQuAD v2 marks unanswerable questions
        if answerable and i not in evidence:
            evidence[i] = _evidence(i, cleaned[i], haystacks, settings)
        facts = _answers(qa) + (_answers(parallel[i]["qas"][j]) if parallel and j < len(parallel[i]["qas"]) else [])
        qid = str(qa.get("id") or f"p{i}-q{j}")
        while qid in seen:
            qid += "+"
        seen.add(qid)
        questions.append(EvalQuestion(
            id=qid, question=qa["question"], language=question_language, answerable=answerable,
            evidence=evidence[i] if answerable else [], facts=[list(dict.fromkeys(facts))] if facts else [],
            tags=tags,
        ))
    suffix = f"-limit{limit}" if limit else ""
    dataset = root / f"{questions_file.stem}-over-{corpus.name}{suffix}.jsonl"
    write_dataset(dataset, questions)
    return SquadImport(corpus, dataset, questions)


def _write_corpus(folder: Path, texts: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index, text in enumerate(texts):
        path = folder / f"p{index:05d}.txt"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def _evidence(own: int, pages: list[Page], haystacks: list[str], settings: Settings) -> list[str]:
    """The start of each chunk of paragraph `own`, as long as it takes for no other paragraph to contain it.

    A chunk whose whole text occurs in another paragraph cannot tell the two apart and gets no snippet, unless no
    chunk can (the paragraph is repeated), when the whole chunks are the evidence.
    """
    bodies = [chunk.body for chunk in chunk_pages(pages, settings.chunk.size, settings.chunk.overlap)]
    snippets = []
    for body in bodies:
        length = SNIPPET_CHARS
        while _elsewhere(normalize(body[:length]), own, haystacks):
            if length >= len(body):
                break
            length += SNIPPET_CHARS // 2
        else:
            snippets.append(body[:length])
    return list(dict.fromkeys(snippets or bodies))


def _elsewhere(needle: str, own: int, haystacks: list[str]) -> bool:
    return any(needle in text for index, text in enumerate(haystacks) if index != own)


def _answers(qa: dict[str, Any]) -> list[str]:
    return [a["text"] for a in qa.get("answers", []) if str(a.get("text", "")).strip()]
