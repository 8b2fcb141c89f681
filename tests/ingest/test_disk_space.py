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


def test_read_only_data_dir_is_a_named_error_and_the_server_recovers(tmp_path):
    import threading
    import time

    import httpx
    import uvicorn

    from service.api import create_app

    mount = tmp_path / "ro"
    mount_tmpfs(mount, "300m")
    try:
        data_dir = mount / "data"
        settings = Settings(data_dir=data_dir, ingest=IngestSettings(min_free_mb=64))
        runtime = Runtime(settings)
        try:
            assert Ingestor(settings, runtime.store, runtime.embedder).ingest([SAMPLE_CORPUS / "guides" / "en"]).ok
        finally:
            runtime.close()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        env = {"HELPDESK_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"}
        cli = subprocess.run([sys.executable, "-m", "service", "ask", "What flat rate covers indirect costs?"],
                             env=env, capture_output=True, text=True, timeout=120)
        assert cli.returncode == 2 and "Read-only file system" in cli.stderr

        server = uvicorn.Server(uvicorn.Config(create_app(settings, with_ui=False), host="127.0.0.1", port=0,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "the server must start even when its data dir is read-only"
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        try:
            assert httpx.get(f"{url}/healthz").status_code == 200
            assert httpx.get(f"{url}/readyz").status_code == 503
            down = httpx.post(f"{url}/v1/ask", json={"question": "What flat rate covers indirect costs?"}, timeout=60)
            assert down.status_code == 503 and "Read-only" in down.json()["error"]["message"]
            subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
            up = httpx.post(f"{url}/v1/ask", json={"question": "What flat rate covers indirect costs?"}, timeout=60)
            assert up.status_code == 200 and up.json()["answerable"]
            assert httpx.get(f"{url}/readyz").status_code == 200
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
