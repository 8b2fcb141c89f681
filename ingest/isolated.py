"""Extraction in a child process with a time limit and a memory cap, so one hostile file cannot hang or exhaust
the ingest or the server: the child is killed, the file fails with a named error, and the batch goes on.

Children come from a forkserver, so they start from a small clean process rather than a copy of a server holding
models and threads.
"""

from __future__ import annotations

import multiprocessing
import resource
from pathlib import Path

from ingest.errors import LoadError
from ingest.loaders import LoadedDocument, load_document


class ExtractionTimeoutError(LoadError):
    code = "extraction-timeout"


class ExtractionMemoryError(LoadError):
    code = "extraction-memory"


_context = multiprocessing.get_context("forkserver")
# The forkserver imports the loaders once; each child then starts with pypdf and friends already loaded.
_context.set_forkserver_preload(["ingest.isolated"])


def _extract_in_child(path: str, data: bytes, memory_mib: int, results) -> None:
    limit = memory_mib * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        results.send(("ok", load_document(Path(path), data)))
    except LoadError as exc:
        results.send(("error", type(exc).__name__, exc.cause, exc.page))
    except MemoryError:
        results.send(("memory",))
    except Exception as exc:  # a loader bug must still come back as a named error
        results.send(("error", "CorruptFileError", f"unreadable file: {exc}", None))


def extract_isolated(path: Path, data: bytes, seconds: float, memory_mib: int) -> LoadedDocument:
    from ingest import errors

    receiving, sending = _context.Pipe(duplex=False)
    child = _context.Process(target=_extract_in_child, args=(str(path), data, memory_mib, sending), daemon=True)
    child.start()
    sending.close()
    try:
        if not receiving.poll(seconds):
            raise ExtractionTimeoutError(path, f"extraction took longer than {seconds:g} s; the file was skipped")
        try:
            result = receiving.recv()
        except EOFError:
            raise ExtractionMemoryError(path, f"the extraction process died (exit {child.exitcode}); "
                                              f"more than {memory_mib} MiB of memory?") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiving.close()
    if result[0] == "ok":
        return result[1]
    if result[0] == "memory":
        raise ExtractionMemoryError(path, f"extraction needed more than {memory_mib} MiB of memory; the file was skipped")
    error_class = getattr(errors, result[1], errors.CorruptFileError)
    raise error_class(path, result[2], result[3])
