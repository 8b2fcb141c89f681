"""A nearly full disk: ingest refuses with a named error before writing (the embedded engine would die of SIGBUS
writing to a memory-mapped file on a full disk), and works again once there is room. Uses a small tmpfs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from common.runtime import Runtime
from common.settings import IngestSettings, Settings
from common.store import InsufficientSpaceError
from ingest.pipeline import Ingestor
from tests.conftest import SAMPLE_CORPUS


def mount_tmpfs(path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")


def test_full_disk_is_refused_then_recovered(tmp_path):
    mount = tmp_path / "disk"
    mount_tmpfs(mount, "4m")
    try:
        settings = Settings(data_dir=mount / "data")
        runtime = Runtime(settings)
        try:
            with pytest.raises(InsufficientSpaceError, match="MB free under"):
                Ingestor(settings, runtime.store, runtime.embedder).ingest([SAMPLE_CORPUS / "guides" / "en"])
        finally:
            runtime.close()
        # the CLI says so and exits 2, instead of dying
        cli = subprocess.run([sys.executable, "-m", "service", "ingest", str(SAMPLE_CORPUS / "guides" / "en")],
                             env={"HELPDESK_DATA_DIR": str(mount / "data"), "PATH": "/usr/bin:/bin"},
                             capture_output=True, text=True)
        assert cli.returncode == 2 and "HELPDESK_INGEST_MIN_FREE_MB" in cli.stderr
    finally:
        subprocess.run(["umount", str(mount)], check=True)
    mount_tmpfs(mount, "300m")  # room again
    try:
        settings = Settings(data_dir=mount / "data", ingest=IngestSettings(min_free_mb=64))
        runtime = Runtime(settings)
        try:
            assert Ingestor(settings, runtime.store, runtime.embedder).ingest([SAMPLE_CORPUS / "guides" / "en"]).ok
        finally:
            runtime.close()
    finally:
        subprocess.run(["umount", str(mount)], check=True)
