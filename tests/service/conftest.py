"""One real server for the API suite: uvicorn serving create_app() on a loopback port over the sample corpus.

Every response any test receives through it (the `api` client, or `api.http_client()` handed to the openai client)
is scanned for the server's paths: the data dir, the repository and the corpus must never reach a client.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from common.runtime import Runtime
from common.settings import InputSettings, ServiceSettings, Settings
from ingest.pipeline import Ingestor
from tests.conftest import ROOT, SAMPLE_CORPUS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Markdown loses its tags at ingest, but its title keeps them; a plain-text file keeps them in the body.
PLANTED_MD = ("---\ntitle: \"<img src=x onerror=alert(1)> Planted guide\"\nlanguage: en\n---\n\n"
              "# Planted guide\n\nThe planted guide says the kindergarten allowance is 777 euro per child per month.\n")
ADMIN_KEY = "browser-admin-key"
PLANTED_TXT = ("The planted notice says the swimming allowance is 555 euro <script>alert('x')</script> per child "
               "per month <b>bold</b>.\n")

ADMIN = {"Authorization": "Bearer admin-secret"}
# Small enough that the tests can reach every limit quickly; the defaults are larger.
BUDGET = InputSettings(max_question_chars=2000, max_history_turns=6, max_history_chars=3000, max_inquiry_chars=3000,
                       max_body_kb=256)


def server_paths(data_dir: Path) -> list[str]:
    return sorted({str(data_dir), str(data_dir.resolve()), str(ROOT), str(SAMPLE_CORPUS)}, key=len, reverse=True)


class PathLeak(AssertionError):
    pass


def path_scanner(paths: list[str]):
    """An httpx response hook that fails the request if the body or a header carries one of `paths`."""

    def scan(response: httpx.Response) -> None:
        response.read()
        texts = [response.content.decode("utf-8", "replace"), *(f"{k}: {v}" for k, v in response.headers.items())]
        for path in paths:
            for text in texts:
                if path in text:
                    at = text.index(path)
                    raise PathLeak(f"{response.request.method} {response.request.url.path} -> {response.status_code} "
                                   f"shows the server path {path!r}: ...{text[max(0, at - 80):at + 120]}...")
        scanned.append(response.request.url.path)

    scanned: list[str] = []
    scan.scanned = scanned
    return scan


@pytest.fixture(scope="package")
def api(tmp_path_factory, embedding_cache_dir):
    """The sample corpus in a data dir of its own (uploads and deletes must not leak into other tests)."""
    from service.api import create_app

    data_dir = tmp_path_factory.mktemp("api-data")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    # No rate limits here: the suite sends more than a client would (test_rate_limits.py has its own server).
    settings = Settings(data_dir=data_dir, input=BUDGET,
                        service=ServiceSettings(admin_keys="admin-secret, other-key", max_upload_mb=0.05,
                                                rate_limit_per_key="", rate_limit_per_client=""))
    runtime = Runtime(settings)
    assert Ingestor(settings, runtime.store, runtime.embedder).ingest([SAMPLE_CORPUS]).ok
    runtime.close()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 600  # a loaded machine takes minutes to load the app
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    port = server.servers[0].sockets[0].getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    scan = path_scanner(server_paths(data_dir))
    hooks = {"response": [scan]}
    with httpx.Client(base_url=base_url, timeout=120, event_hooks=hooks) as client:
        client.data_dir = data_dir
        client.settings = settings
        client.scanned = scan.scanned
        client.http_client = lambda: httpx.Client(timeout=120, event_hooks=hooks)
        yield client
    server.should_exit = True
    thread.join(timeout=30)


# --- The UI's browser tests (test_ui_browser.py, test_ui_accessibility.py) share one server and one browser. ---

@pytest.fixture(scope="package")
def ui_server(tmp_path_factory, embedding_cache_dir):
    """The UI's address and its data dir (where the feedback store is), over the sample corpus and two planted
    documents; one server for every browser test module (starting one takes a minute on a loaded machine)."""
    from service.api import create_app

    corpus = tmp_path_factory.mktemp("ui-corpus")
    (corpus / "planted.md").write_text(PLANTED_MD, encoding="utf-8")
    (corpus / "planted-notice.txt").write_text(PLANTED_TXT, encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("ui-data")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    settings = Settings(data_dir=data_dir, service=ServiceSettings(admin_keys=ADMIN_KEY))
    runtime = Runtime(settings)
    assert Ingestor(settings, runtime.store, runtime.embedder).ingest([SAMPLE_CORPUS, corpus]).ok
    runtime.close()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.1)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/", data_dir
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="package")
def ui_url(ui_server):
    return ui_server[0]


@pytest.fixture(scope="package")
def browser(tmp_path_factory):
    """One headless Chromium for every browser test module; each test opens the page it needs."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1400", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, where CSP violations show
    options.add_experimental_option("prefs", {"download.default_directory": str(tmp_path_factory.mktemp("downloads")),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
