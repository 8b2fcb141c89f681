"""The uploads folder: an upload is written beside its final name, swapped in by rename, and put back on failure.

A crash between those steps leaves a `.NAME.part` (the new bytes, never indexed), a `.NAME.previous` (the version
the index still holds) or a `.NAME.new` marker (there was no earlier version); `recover` on start makes the folder
match the index again.
"""

from __future__ import annotations

import contextlib
import errno
import logging
from collections.abc import Callable
from pathlib import Path

from common.store import InsufficientSpaceError, StoreError, ensure_free_space

log = logging.getLogger("helpdesk")
_PART, _PREVIOUS, _NEW = ".part", ".previous", ".new"


def staged_path(target: Path) -> Path:
    return target.with_name(f".{target.name}{_PART}")


def backup_path(target: Path) -> Path:
    return target.with_name(f".{target.name}{_PREVIOUS}")


def new_marker(target: Path) -> Path:
    return target.with_name(f".{target.name}{_NEW}")


def stage(target: Path, data: bytes, min_free_mb: float) -> Path:
    """Write the upload beside its final name; a full or read-only disk is a named error, not a 500."""
    staged = staged_path(target)
    try:
        ensure_free_space(target.parent, min_free_mb)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged.write_bytes(data)
    except OSError as exc:
        with contextlib.suppress(OSError):
            staged.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise InsufficientSpaceError(f"no space left to store the upload under {target.parent}") from exc
        raise StoreError(f"cannot store the upload under {target.parent}: {exc.strerror}") from exc
    return staged


def swap_in(target: Path) -> bool:
    """Move the staged file to its name, keeping the previous version aside; True when there was one."""
    had_previous = target.exists()
    if had_previous:
        target.replace(backup_path(target))  # renames need no free space, so putting it back cannot fail for lack of it
    else:
        new_marker(target).touch()
    staged_path(target).replace(target)
    return had_previous


def put_back(target: Path, had_previous: bool) -> None:
    """A failed upload leaves the index unchanged; leave the folder the same way."""
    if had_previous:
        backup_path(target).replace(target)
    else:
        target.unlink(missing_ok=True)
        new_marker(target).unlink(missing_ok=True)


def keep(target: Path) -> None:
    backup_path(target).unlink(missing_ok=True)
    new_marker(target).unlink(missing_ok=True)


def recover(folder: Path, landed: Callable[[Path], bool]) -> list[str]:
    """After a crash: drop staged files; where a file was swapped in but `landed` says the index does not hold it,
    put the previous version back (the one the index still serves), or remove it if it had none."""
    done: list[str] = []
    if not folder.is_dir():
        return done
    for leftover in sorted(folder.glob(f".*{_PART}")):
        leftover.unlink()
        done.append(f"removed the unfinished upload {leftover.name}")
    for marker in sorted([*folder.glob(f".*{_PREVIOUS}"), *folder.glob(f".*{_NEW}")]):
        target = folder / marker.name[1:].rsplit(".", 1)[0]
        if target.exists() and landed(target):
            marker.unlink()
            done.append(f"kept {target.name}: it was indexed before the interruption")
        elif marker.name.endswith(_PREVIOUS):
            marker.replace(target)
            done.append(f"restored the previous {target.name}: the upload replacing it never landed")
        else:
            target.unlink(missing_ok=True)
            marker.unlink()
            done.append(f"removed {target.name}: its upload never landed")
    for line in done:
        log.warning("uploads: %s", line)
    return done
