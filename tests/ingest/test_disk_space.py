"""A nearly full disk: ingest refuses with a named error before writing (the embedded engine would die of SIGBUS
writing to a memory-mapped file on a full disk), stops with one when the disk fills during the writes, and works
again once there is room; the server on a full disk answers 503 instead of dying at every start. Uses small tmpfs
mounts (skipped where mounting is not allowed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from bench.crash_trials import collection_state, half_documents
from bench.server import CLI
from common.runtime import Runtime
from common.settings import IngestSettings, ServiceSettings, Settings
from common.store import StoreError
from ingest.pipeline import Ingestor
from service.api import create_app
from tests.conftest import SAMPLE_CORPUS


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small disk of its own at `path`, unmounted afterwards (lazily: a server thread may still hold files)."""
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def ingest_once(settings: Settings, paths: list[Path]):
    runtime = Runtime(settings)
    try:
        return Ingestor(settings, runtime.store, runtime.embedder).ingest(paths)
    finally:
        runtime.close()


def test_full_disk_is_refused_then_recovered(tmp_path):
    guides = [SAMPLE_CORPUS / "guides" / "en"]
    with tmpfs(tmp_path / "disk", "4m") as mount:
        with pytest.raises(StoreError, match="MB free under"):  # at open, or at the ingest start
            ingest_once(Settings(data_dir=mount / "data"), guides)
        # the CLI says so and exits 2, instead of dying
        cli = subprocess.run(CLI + ["ingest", str(guides[0])],
                             env={"HELPDESK_DATA_DIR": str(mount / "data"), "PATH": "/usr/bin:/bin"},
                             capture_output=True, text=True)
        assert cli.returncode == 2 and "HELPDESK_INGEST_MIN_FREE_MB" in cli.stderr
    with tmpfs(tmp_path / "disk", "300m") as mount:  # room again
        assert ingest_once(Settings(data_dir=mount / "data", ingest=IngestSettings(min_free_mb=64)), guides).ok


def test_read_only_data_dir_is_a_named_error_and_the_server_recovers(tmp_path):
    with tmpfs(tmp_path / "ro", "300m") as mount:
        data_dir = mount / "data"
        settings = Settings(data_dir=data_dir, ingest=IngestSettings(min_free_mb=64))
        assert ingest_once(settings, [SAMPLE_CORPUS / "guides" / "en"]).ok
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        env = {"HELPDESK_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"}
        cli = subprocess.run(CLI + ["ask", "What flat rate covers indirect costs?"],
                             env=env, capture_output=True, text=True, timeout=120)
        assert cli.returncode == 2 and "Read-only file system" in cli.stderr

        with running_server(settings) as url:
            assert httpx.get(f"{url}/healthz").status_code == 200
            assert httpx.get(f"{url}/readyz").status_code == 503
            down = httpx.post(f"{url}/v1/ask", json={"question": "What flat rate covers indirect costs?"}, timeout=60)
            assert down.status_code == 503 and "Read-only" in down.json()["error"]["message"]
            subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
            up = httpx.post(f"{url}/v1/ask", json={"question": "What flat rate covers indirect costs?"}, timeout=60)
            assert up.status_code == 200 and up.json()["answerable"]
            assert httpx.get(f"{url}/readyz").status_code == 200


class running_server:
    """The real app on a loopback port, in this process, started even when its store cannot open."""

    def __init__(self, settings: Settings) -> None:
        self.server = uvicorn.Server(uvicorn.Config(create_app(settings, with_ui=False), host="127.0.0.1", port=0,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "the server must start even when its store cannot open"
        return f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def fill_disk(mount: Path, leave_mb: float) -> Path:
    """A filler file that leaves about `leave_mb` free on the mount."""
    filler = mount / "filler"
    block = b"\0" * 2**20
    with open(filler, "ab") as out:
        while shutil.disk_usage(mount).free / 2**20 > leave_mb + 1:
            out.write(block)
            out.flush()
    return filler


def data_dir_on(mount: Path, embedding_cache_dir: Path) -> Path:
    data_dir = mount / "data"
    data_dir.mkdir()
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)  # models stay off the small disk
    return data_dir


def test_disk_filling_during_the_writes_stops_with_a_named_error_and_a_rerun_completes(
        tmp_path, sample_index, embedding_cache_dir, monkeypatch):
    settings, _ = sample_index
    clean = collection_state(settings.data_dir)
    with tmpfs(tmp_path / "disk", "192m") as mount:
        data_dir = data_dir_on(mount, embedding_cache_dir)
        margin = 24
        monkeypatch.setenv("HELPDESK_INGEST_MIN_FREE_MB", str(margin))  # here and in the CLI runs
        filler = fill_disk(mount, leave_mb=margin + 5)  # the start passes; the writes then cross the margin
        env = {**os.environ, "HELPDESK_DATA_DIR": str(data_dir)}
        stopped = subprocess.run(CLI + ["ingest", str(SAMPLE_CORPUS)], env=env, capture_output=True, text=True)
        assert stopped.returncode == 2, stopped.stderr[-2000:]
        assert "MB free under" in stopped.stderr and "HELPDESK_INGEST_MIN_FREE_MB" in stopped.stderr
        filler.unlink()  # room again (opening the index to look needs it too)
        assert half_documents(data_dir) == []
        assert collection_state(data_dir)[0] < clean[0]  # it did stop part-way
        rerun = subprocess.run(CLI + ["ingest", str(SAMPLE_CORPUS)], env=env, capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert collection_state(data_dir) == clean


def test_the_engine_killed_by_a_full_disk_loses_nothing_once_there_is_room(tmp_path, sample_index, embedding_cache_dir,
                                                                          monkeypatch):
    """With no margin the engine dies of SIGBUS part-way: the re-run with room still converges to a clean run's."""
    settings, _ = sample_index
    clean = collection_state(settings.data_dir)
    with tmpfs(tmp_path / "disk", "8m") as mount:
        data_dir = data_dir_on(mount, embedding_cache_dir)
        env = {**os.environ, "HELPDESK_DATA_DIR": str(data_dir), "HELPDESK_INGEST_MIN_FREE_MB": "0"}
        died = subprocess.run(CLI + ["ingest", str(SAMPLE_CORPUS)], env=env, capture_output=True, text=True)
        assert died.returncode != 0
        subprocess.run(["mount", "-o", "remount,size=128m", str(mount)], check=True)
        monkeypatch.setenv("HELPDESK_INGEST_MIN_FREE_MB", "16")
        env["HELPDESK_INGEST_MIN_FREE_MB"] = "16"
        rerun = subprocess.run(CLI + ["ingest", str(SAMPLE_CORPUS)], env=env, capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert collection_state(data_dir) == clean and half_documents(data_dir) == []


def test_a_server_on_a_full_disk_answers_503_then_recovers_without_a_restart(tmp_path, embedding_cache_dir):
    with tmpfs(tmp_path / "disk", "160m") as mount:
        data_dir = data_dir_on(mount, embedding_cache_dir)
        settings = Settings(data_dir=data_dir, ingest=IngestSettings(min_free_mb=64),
                            service=ServiceSettings(admin_keys="disk-key"))
        assert ingest_once(settings, [SAMPLE_CORPUS / "guides" / "en"]).ok
        filler = fill_disk(mount, leave_mb=8)
        question = {"question": "What flat rate covers indirect costs?"}
        with running_server(settings) as url:  # opening the engine here would have been a SIGBUS at every start
            assert httpx.get(f"{url}/healthz").status_code == 200
            assert httpx.get(f"{url}/readyz").status_code == 503
            down = httpx.post(f"{url}/v1/ask", json=question, timeout=60)
            assert down.status_code == 503 and "MB free under" in down.json()["error"]["message"]
            upload = httpx.post(f"{url}/v1/documents", headers={"Authorization": "Bearer disk-key"},
                                files={"file": ("note.md", b"# Note\n\nA rule on travel costs.\n")})
            assert upload.status_code == 507 and upload.json()["error"]["code"] == "insufficient_storage"
            assert not (data_dir / "uploads" / "note.md").exists()
            filler.unlink()
            up = httpx.post(f"{url}/v1/ask", json=question, timeout=60)
            assert up.status_code == 200 and up.json()["answerable"]
            assert httpx.get(f"{url}/readyz").status_code == 200
