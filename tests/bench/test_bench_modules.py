"""Every benchmark still starts: a module that no longer imports (a retired helper, a renamed setting) is found
here, not by the next person who wants a figure."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Shared pieces the benches import, not benches themselves.
HELPER_MODULES = {"__init__", "documents", "server"}
BENCHMARKS = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in HELPER_MODULES)


def test_benchmarks_are_found():
    assert {"embed", "load", "scale", "search_latency"} <= set(BENCHMARKS)


@pytest.mark.parametrize("name", sorted(HELPER_MODULES - {"__init__"}))
def test_bench_helpers_import(name):
    importlib.import_module(f"bench.{name}")


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_imports_and_has_a_main(name):
    module = importlib.import_module(f"bench.{name}")
    assert callable(getattr(module, "main", None)), f"bench.{name} has no main()"


def test_embed_benchmark_answers_help():
    done = subprocess.run([sys.executable, "-m", "bench.embed", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "--passages" in done.stdout
