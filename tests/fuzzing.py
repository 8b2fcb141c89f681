"""How many inputs the fuzz and property tests try: a fixed, derandomized set in CI; FUZZ_EXAMPLES=N for a longer
random run (Hypothesis prints how to reproduce a failure; --hypothesis-show-statistics counts the inputs)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def fuzz_settings(ci_examples: int) -> settings:
    examples = os.environ.get("FUZZ_EXAMPLES")
    return settings(max_examples=int(examples or ci_examples), derandomize=examples is None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
