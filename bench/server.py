"""Starting `helpdesk serve` as a child process on a free loopback port, for the load and crash benches."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "service"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, wait_for: str = "/healthz", timeout_s: float = 300,
                 log: Path | None = None) -> subprocess.Popen:
    """The server process once `wait_for` answers 200 (/readyz also waits for the models and a non-empty index);
    its output goes to `log` when given."""
    output = open(log, "w") if log else subprocess.DEVNULL
    try:
        process = subprocess.Popen(CLI + ["serve", "--port", str(port), "--no-ui"], env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    finally:
        if log:
            output.close()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before answering {wait_for}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{wait_for}", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    process.kill()
    raise RuntimeError(f"the server did not answer {wait_for} within {timeout_s:g} s")
