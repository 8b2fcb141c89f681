"""Language identification of questions: the helpdesk's lingua set-up against langdetect, on the labelled
evaluation questions (evals/datasets/*.jsonl). langdetect is run as shipped (all its languages) and restricted to
the served languages (its best served candidate). Prints accuracy per detector, and the questions each gets wrong.

    pip install langdetect   # the comparison only; the product uses lingua
    python -m bench.language_id [--max-words N]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from common.language import detect_language
from common.settings import SERVED_LANGUAGES
from evals.dataset import EvalQuestion, load_dataset

DATASETS = Path(__file__).resolve().parents[1] / "evals" / "datasets"


def _langdetect_detectors() -> dict[str, Callable[[str], str]]:
    try:
        from langdetect import DetectorFactory, detect, detect_langs
        from langdetect.lang_detect_exception import LangDetectException
    except ImportError:
        print("langdetect is not installed (pip install langdetect): lingua only")
        return {}
    DetectorFactory.seed = 0  # langdetect samples at random; a fixed seed makes runs repeatable

    def as_shipped(text: str) -> str:
        try:
            return detect(text).split("-")[0]
        except LangDetectException:
            return "?"

    def restricted(text: str) -> str:
        try:
            served = [c for c in detect_langs(text) if c.lang.split("-")[0] in SERVED_LANGUAGES]
        except LangDetectException:
            return "?"
        return served[0].lang.split("-")[0] if served else "?"

    return {"langdetect": as_shipped, "langdetect, served languages only": restricted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-words", type=int, default=None, help="only questions of at most this many words")
    args = parser.parse_args()
    questions: list[EvalQuestion] = [q for path in sorted(DATASETS.glob("*.jsonl")) for q in load_dataset(path)]
    if args.max_words:
        questions = [q for q in questions if len(q.question.split()) <= args.max_words]
    languages = sorted({q.language for q in questions})
    print(f"{len(questions)} questions in {len(languages)} languages ({', '.join(languages)}) "
          f"from {', '.join(p.name for p in sorted(DATASETS.glob('*.jsonl')))}")
    detectors = {"lingua (the helpdesk: served languages)": detect_language, **_langdetect_detectors()}
    for name, detect in detectors.items():
        wrong = [(q, found) for q in questions if (found := detect(q.question)) != q.language]
        print(f"{name:<40} {len(questions) - len(wrong)}/{len(questions)} right")
        for question, found in wrong:
            print(f"    {question.language} -> {found}: {question.question}")


if __name__ == "__main__":
    main()
