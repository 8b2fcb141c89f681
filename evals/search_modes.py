"""Compare search modes and sparse weights on the sample corpus: recall@k by document family.

A hit is relevant when its source file is one of the expected guides (any language version), so the figures
separate same-language from cross-lingual questions. Run: python -m evals.search_modes [--data-dir DIR]
(ingests corpus/ into DIR first when needed).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from common.runtime import Runtime
from common.settings import Settings
from ingest.pipeline import Ingestor
from qa.retriever import Retriever

# (question, expected guide file stem(s)); the languages each guide exists in decide cross-lingual or not.
QUESTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("What is the maximum co-financing rate for less developed regions?", ("co-financing-rates",)),
    ("Какъв е максималният процент на съфинансиране за по-слабо развитите региони?", ("co-financing-rates",)),
    ("Quel est le taux de cofinancement maximal pour les régions en transition ?", ("co-financing-rates",)),
    ("Welcher Kofinanzierungssatz gilt für stärker entwickelte Regionen?", ("co-financing-rates",)),
    ("Какова максимальная ставка софинансирования для менее развитых регионов?", ("co-financing-rates",)),
    ("Wat is het maximale cofinancieringspercentage voor minder ontwikkelde regio's?", ("co-financing-rates",)),
    ("What flat rate can cover indirect costs?", ("simplified-cost-options",)),
    ("Какъв единен процент може да покрие непреките разходи?", ("simplified-cost-options",)),
    ("Les petites opérations de moins de 200 000 euros doivent-elles utiliser des options de coûts simplifiés ?", ("simplified-cost-options",)),
    ("Jusqu'à quelle date les dépenses sont-elles éligibles ?", ("eligibility-period",)),
    ("Until which date is expenditure eligible in the 2021-2027 period?", ("eligibility-period",)),
    ("Bis wann sind Ausgaben förderfähig?", ("eligibility-period",)),
    ("Kui kaua peab investeering pärast lõppmakset säilima?", ("eligibility-period",)),
    ("What must a beneficiary put on its website about EU support?", ("visibility-rules",)),
    ("Muss ein Projekt ein Plakat mit dem EU-Emblem aufhängen?", ("visibility-rules",)),
    ("Какво трябва да направи бенефициерът, за да покаже подкрепата на ЕС?", ("visibility-rules",)),
    ("Which horizontal principles must every programme respect?", ("horizontal-principles",)),
    ("Ποιες οριζόντιες αρχές πρέπει να τηρούνται;", ("horizontal-principles",)),
    ("Welke horizontale beginselen gelden voor projecten?", ("horizontal-principles",)),
    ("Who can apply for ESF+ or ERDF funding?", ("who-can-apply",)),
    ("Wer entscheidet über die Auswahl der Projekte?", ("who-can-apply",)),
    ("Qui peut être bénéficiaire d'un projet financé ?", ("who-can-apply",)),
    ("How do I find the managing authority of my programme?", ("finding-your-programme",)),
    ("Как да намеря управляващия орган на моята програма?", ("finding-your-programme",)),
    ("What share of ESF+ must go to social inclusion?", ("esf-plus-specifics",)),
    ("Welcher Anteil des ESF+ ist für die soziale Inklusion vorgesehen?", ("esf-plus-specifics",)),
    ("Какая доля ESF+ направляется на борьбу с материальной депривацией?", ("esf-plus-specifics",)),
    ("Can ERDF fund social infrastructure such as care homes?", ("erdf-social-infrastructure", "erdf-specifics")),
    ("Μπορεί το ΕΤΠΑ να χρηματοδοτήσει κοινωνικές υποδομές;", ("erdf-social-infrastructure", "erdf-specifics")),
    ("Peut-on financer des infrastructures sociales avec le FEDER ?", ("erdf-social-infrastructure", "erdf-specifics")),
]

# (mode, sparse weight, same-language boost)
CONFIGS = [("dense", 1.0, 0.0), ("dense", 1.0, 0.01), ("dense", 1.0, 0.02), ("dense", 1.0, 0.04),
           ("sparse", 1.0, 0.0), ("hybrid", 1.0, 0.0), ("hybrid", 0.5, 0.0), ("hybrid", 0.25, 0.0), ("hybrid", 0.1, 0.0),
           ("hybrid", 0.1, 0.02)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench-search"))
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    runtime = Runtime(settings)
    corpus = Path(__file__).resolve().parents[1] / "corpus"
    Ingestor(settings, runtime.store, runtime.embedder).ingest([corpus])
    languages_of: dict[str, set[str]] = {}
    for _, payload in runtime.store.scroll({}, ["source", "language"]):
        languages_of.setdefault(Path(payload["source"]).stem, set()).add(payload["language"])
    retriever = Retriever(settings, runtime.store, runtime.embedder)
    print(f"{len(QUESTIONS)} questions, k={args.k}; relevant = expected guide in any language")
    print(f"{'mode':<8}{'sparse_w':>9}{'boost':>7}{'R@1':>7}{'R@5':>7}{'same':>7}{'cross':>7}{'MRR':>7}{'p50 ms':>8}")
    for mode, weight, boost in CONFIGS:
        settings.search.sparse_weight = weight
        settings.search.language_boost = boost
        ranks, same, cross, times = [], [], [], []
        for question, expected in QUESTIONS:
            t = time.perf_counter()
            result = retriever.search(question, k=args.k, mode=mode)
            times.append((time.perf_counter() - t) * 1000)
            stems = [Path(h.source).stem for h in result.hits]
            rank = next((i + 1 for i, s in enumerate(stems) if s in expected), None)
            ranks.append(rank)
            is_cross = not any(result.language in languages_of.get(e, set()) for e in expected)
            (cross if is_cross else same).append(rank is not None)
        n = len(QUESTIONS)
        print(f"{mode:<8}{weight:>9.2f}{boost:>7.2f}{sum(r == 1 for r in ranks) / n:>7.2f}{sum(r is not None for r in ranks) / n:>7.2f}"
              f"{sum(same) / max(len(same), 1):>7.2f}{sum(cross) / max(len(cross), 1):>7.2f}"
              f"{sum(1 / r for r in ranks if r) / n:>7.2f}{statistics.median(times):>8.1f}")
    print(f"same-language questions: {len(same)}, cross-lingual: {len(cross)}")
    runtime.close()


if __name__ == "__main__":
    main()
