"""Redaction time per text: a pasted inquiry and the longest inputs the API accepts, including adversarial ones.

Redaction runs in the request path of POST /v1/feedback (question, answer and comment) and of the UI's thumbs, so
its cost at the schema's largest fields matters. python -m bench.redaction --repeat 20
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from common.redaction import load_data, redact

INQUIRY = ("Здравейте,\nпиша от Община Пловдив (ЕГН 7552010005, IBAN BG80 BNBG 9661 1020 3456 78).\n"
           "Какъв е процентът на съфинансиране по член 112 от Регламент (ЕС) 2021/1060 за периода 2021-2027?\n"
           "Можете да ми пишете на m.petrova@plovdiv.bg или на +359 32 656 789.\n\nС уважение,\nМария Петрова\n")


def inputs(size: int) -> dict[str, str]:
    rng = random.Random(1)
    prose = "Article 63(2) sets EUR 200 000 until 31.12.2029 for 2021-2027 (85 %). Kind regards, Maria. "
    return {
        "pasted inquiry": INQUIRY,
        f"prose x{size // len(prose)}": (prose * (size // len(prose) + 1))[:size],
        "digits and separators": "".join(rng.choice("0123456789 .-/()") for _ in range(size)),
        "closings on every line": ("Kind regards\n" * (size // 13 + 1))[:size],
        "one-digit groups": ("1 " * size)[:size],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--size", type=int, default=20000, help="characters (the API's longest field: 20000)")
    args = parser.parse_args()
    load_data()  # compiled once per process, not part of a request
    print(f"{'input':<28}{'chars':>7}{'median ms':>11}{'max ms':>8}")
    for name, text in inputs(args.size).items():
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            redact(text)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{name:<28}{len(text):>7}{statistics.median(times):>11.2f}{max(times):>8.1f}")


if __name__ == "__main__":
    main()
