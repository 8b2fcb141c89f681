"""Deployment files (docker-compose.yml, Dockerfile, deploy/entrypoint.sh).

Where Docker runs, the image is built from this checkout and started (test_the_image_builds_...), and `docker
compose config` validates the compose file; elsewhere those tests skip and say why. Without Docker, the
Dockerfile is checked for what would break a build or a start (sources, entrypoint, command), and the compose file is parsed with PyYAML and held against `common.settings`: every `HELPDESK_*` name must be a
real setting, ports and URLs must agree with the defaults. The shell pieces (the entrypoint, Qdrant's
healthcheck, the app's healthcheck) are run for real against stubs, and the cluster layout variables are
followed through `Settings` and `open_store` into the create-collection request qdrant-client sends.
"""

from __future__ import annotations

import fnmatch
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from pydantic_settings import BaseSettings

from common.schema import DENSE_VECTOR, CollectionInfo
from common.settings import ServiceSettings, Settings
from common.store import open_store
from common.store.server import UPGRADE_SUFFIX, ServerStore

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
DOCKERIGNORE = ROOT / ".dockerignore"

APP_PORT = ServiceSettings.model_fields["port"].default
QDRANT_HTTP_PORT = 6333
CLUSTER_NODES = ("qdrant-node1", "qdrant-node2", "qdrant-node3")
APP_SERVICES = ("app", "app-llm", "app-cluster")
# Read by deploy/entrypoint.sh only (the Python code never sees them).
ENTRYPOINT_ONLY = {"HELPDESK_INGEST_ON_START", "HELPDESK_INGEST_PATHS"}
HELPDESK_NAME = re.compile(r"\bHELPDESK_[A-Z0-9_]+")


def _setting_env_names() -> set[str]:
    """Every environment name `Settings` reads: each group's prefix + field, and the top-level fields."""
    names: set[str] = set()
    for field_name, field in Settings.model_fields.items():
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseSettings):
            prefix = group.model_config["env_prefix"]
            names |= {f"{prefix}{sub}".upper() for sub in group.model_fields}
        else:
            names.add(f"{Settings.model_config['env_prefix']}{field_name}".upper())
    return names


SETTING_NAMES = _setting_env_names()


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _interpolated(value: str, host_env: dict[str, str] | None = None) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` with the given host environment."""

    def sub(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        current = (host_env or {}).get(name)
        if current:
            return current
        if op == ":?":
            raise KeyError(f"{name} is required: {arg}")
        return arg or ""

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}", sub, value)


def _published(service: dict) -> list[tuple[str | None, int, int]]:
    """(host ip, host port, container port) for each `ports` entry."""
    out = []
    for entry in service.get("ports", []):
        parts = str(entry).split(":")
        ip = parts[0] if len(parts) == 3 else None
        out.append((ip, int(parts[-2]), int(parts[-1])))
    return out


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


# --- compose: services, profiles, env names -----------------------------------------------------------------

def test_services_and_profiles(services):
    profiles = {name: tuple(s.get("profiles", ())) for name, s in services.items()}
    assert profiles["qdrant"] == () and profiles["app"] == ()  # `docker compose up` starts these two
    assert profiles["ollama"] == ("ollama",) and profiles["app-llm"] == ("ollama",)
    for name in (*CLUSTER_NODES, "app-cluster"):
        assert profiles[name] == ("cluster",), name
    assert set(services) == {"qdrant", "app", "ollama", "app-llm", *CLUSTER_NODES, "app-cluster"}
    for name in APP_SERVICES:
        assert services[name]["build"] == ".", name
    assert re.fullmatch(r"qdrant/qdrant:v\d+\.\d+\.\d+", services["qdrant"]["image"])  # pinned, official
    assert {services[n]["image"] for n in CLUSTER_NODES} == {services["qdrant"]["image"]}
    assert services["ollama"]["image"].startswith("ollama/ollama:")


def test_every_helpdesk_name_is_a_setting():
    used = {
        "docker-compose.yml": set(HELPDESK_NAME.findall(COMPOSE_FILE.read_text(encoding="utf-8"))),
        "Dockerfile": set(HELPDESK_NAME.findall(DOCKERFILE.read_text(encoding="utf-8"))),
        "entrypoint.sh": set(HELPDESK_NAME.findall(ENTRYPOINT.read_text(encoding="utf-8"))),
    }
    for where, names in used.items():
        assert names - SETTING_NAMES - ENTRYPOINT_ONLY == set(), where
    assert ENTRYPOINT_ONLY <= used["entrypoint.sh"]
    assert not ENTRYPOINT_ONLY & SETTING_NAMES  # no clash with a real setting
    # Sanity of the derivation itself: a few names the README documents.
    assert {"HELPDESK_QDRANT_URL", "HELPDESK_QDRANT_SHARD_NUMBER", "HELPDESK_LLM_BASE_URL", "HELPDESK_DATA_DIR",
            "HELPDESK_PORT", "HELPDESK_ADMIN_KEYS", "HELPDESK_EMBED_MODEL"} <= SETTING_NAMES


def test_app_environment_builds_valid_settings(services, monkeypatch):
    host_env = {"HELPDESK_ADMIN_KEYS": "k1,k2"}
    for name in APP_SERVICES:
        env = {k: _interpolated(v, host_env) for k, v in _env(services[name]).items()}
        for key in list(os.environ):
            if key.startswith("HELPDESK_"):
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        assert str(settings.data_dir) == "/data", name
        assert settings.service.keys("admin") == ["k1", "k2"], name
        assert settings.store.url and urlparse(settings.store.url).port == QDRANT_HTTP_PORT, name
        assert urlparse(settings.store.url).hostname in services, name


def test_admin_keys_must_be_set(services):
    for name in APP_SERVICES:
        raw = _env(services[name])["HELPDESK_ADMIN_KEYS"]
        with pytest.raises(KeyError, match="HELPDESK_ADMIN_KEYS"):
            _interpolated(raw, {})


# --- compose: ports, volumes, health, wiring ------------------------------------------------------------

def test_ports(services):
    assert (None, APP_PORT, APP_PORT) in _published(services["app"])
    for name in ("app-llm", "app-cluster"):
        assert [p[2] for p in _published(services[name])] == [APP_PORT], name
    assert {(p[1], p[2]) for p in _published(services["qdrant"])} == {(6333, 6333), (6334, 6334)}
    assert (11434, 11434) in {(p[1], p[2]) for p in _published(services["ollama"])}
    # Qdrant and Ollama only on the host's loopback; the peer-to-peer port of the cluster never published.
    for name in ("qdrant", "ollama", *CLUSTER_NODES):
        assert all(ip == "127.0.0.1" for ip, _, _ in _published(services[name])), name
        assert all(c != 6335 for _, _, c in _published(services[name])), name
    # Host ports are unique, so any combination of profiles can run side by side.
    host_ports = [p[1] for s in services.values() for p in _published(s)]
    assert len(host_ports) == len(set(host_ports))


def test_volumes_declared_and_mounted(compose, services):
    declared = set(compose["volumes"])
    used = set()
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source, target = str(mount).split(":")[:2]
            assert source in declared, f"{name}: volume {source} not declared"
            used.add(source)
            if name.startswith("qdrant"):
                assert target == "/qdrant/storage", name
            if name in APP_SERVICES:
                assert target == _env(service)["HELPDESK_DATA_DIR"] == "/data", name
    assert used == declared
    # app-llm serves what `app` ingests and uploads: same collection, same originals under /data/uploads.
    assert services["app-llm"]["volumes"] == services["app"]["volumes"]
    assert services["app-cluster"]["volumes"] != services["app"]["volumes"]
    assert any(str(m).endswith(":/root/.ollama") for m in services["ollama"]["volumes"])


def test_dependencies_wait_for_health(services):
    assert services["app"]["depends_on"] == {"qdrant": {"condition": "service_healthy"}}
    assert services["app-cluster"]["depends_on"] == {n: {"condition": "service_healthy"} for n in CLUSTER_NODES}
    # app-llm serves the collection `app` ingests: it waits for `app` and does not ingest itself.
    assert services["app-llm"]["depends_on"]["app"] == {"condition": "service_healthy"}
    assert services["app-llm"]["depends_on"]["ollama"] == {"condition": "service_healthy"}
    assert _env(services["app"])["HELPDESK_INGEST_ON_START"] == "1"
    assert _env(services["app-cluster"])["HELPDESK_INGEST_ON_START"] == "1"
    assert _env(services["app-llm"])["HELPDESK_INGEST_ON_START"] == "0"
    for name in ("qdrant", *CLUSTER_NODES, "app", "ollama"):
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name


def test_app_healthcheck_probes_healthz(services):
    for name in APP_SERVICES:
        test = services[name]["healthcheck"]["test"]
        assert test[:2] == ["CMD", "python"] and f"http://127.0.0.1:{APP_PORT}/healthz" in test[-1], name


def test_ollama_profile_wiring(services):
    env = _env(services["app-llm"])
    assert env["HELPDESK_LLM_BASE_URL"] == "http://ollama:11434/v1"
    model = _interpolated(env["HELPDESK_LLM_MODEL"])
    assert model == "qwen2.5:7b-instruct"
    assert float(env["HELPDESK_LLM_TIMEOUT_S"]) > 0
    assert urlparse(env["HELPDESK_LLM_BASE_URL"]).port in {p[2] for p in _published(services["ollama"])}
    assert "HELPDESK_LLM_BASE_URL" not in _env(services["app"])


def test_cluster_profile(services):
    node1 = services["qdrant-node1"]
    assert _command(node1) == ["./qdrant", "--uri", "http://qdrant-node1:6335"]
    for name in CLUSTER_NODES:
        env = _env(services[name])
        assert env["QDRANT__CLUSTER__ENABLED"] == "true" and env["QDRANT__CLUSTER__P2P__PORT"] == "6335", name
        assert services[name]["healthcheck"] == services["qdrant"]["healthcheck"]
    for name in CLUSTER_NODES[1:]:
        command = _command(services[name])
        assert command[command.index("--bootstrap") + 1] == "http://qdrant-node1:6335", name
        assert command[command.index("--uri") + 1] == f"http://{name}:6335", name
        assert services[name]["depends_on"] == {"qdrant-node1": {"condition": "service_healthy"}}
    env = _env(services["app-cluster"])
    assert env["HELPDESK_QDRANT_URL"] == "http://qdrant-node1:6333"
    shards, replicas = int(env["HELPDESK_QDRANT_SHARD_NUMBER"]), int(env["HELPDESK_QDRANT_REPLICATION_FACTOR"])
    assert replicas == 2 and shards >= len(CLUSTER_NODES) and shards % len(CLUSTER_NODES) == 0
    for name in ("app", "app-llm"):
        assert "HELPDESK_QDRANT_SHARD_NUMBER" not in _env(services[name])


# --- Dockerfile and build context ---------------------------------------------------------------------------

def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def _ignored(relative: str) -> bool:
    """Whether .dockerignore keeps `relative` (a path in the build context) out of the image."""
    patterns = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    parts = Path(relative).parts
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatch(prefix, pattern.removeprefix("**/")) or fnmatch.fnmatch(prefix, pattern)
               for pattern in patterns for prefix in prefixes)


def test_everything_the_dockerfile_copies_or_runs_is_in_the_build_context():
    """What fails a build or a start without Docker to show it: a COPY of a missing or ignored file, an entrypoint
    left out of the context, a command no package installs."""
    steps = _instructions()
    workdir = next(rest for keyword, rest in steps if keyword == "WORKDIR")
    for keyword, rest in steps:
        if keyword == "COPY":
            *sources, _ = shlex.split(rest)
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the build context"
                assert source == "." or not _ignored(source), f"COPY {source}: excluded by .dockerignore"
    entrypoint = json.loads(next(rest for keyword, rest in steps if keyword == "ENTRYPOINT"))[0]
    inside = Path(entrypoint).relative_to(workdir).as_posix()
    assert (ROOT / inside).is_file() and not _ignored(inside), entrypoint
    program = json.loads(next(rest for keyword, rest in steps if keyword == "CMD"))[0]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert program in scripts, f"CMD runs {program!r}, which pyproject.toml does not install"


def test_the_image_port_is_the_settings_port():
    steps = _instructions()
    assert [rest for keyword, rest in steps if keyword == "EXPOSE"] == [str(APP_PORT)]
    healthcheck = next(rest for keyword, rest in steps if keyword == "HEALTHCHECK")
    assert f"127.0.0.1:{APP_PORT}/healthz" in healthcheck


def _docker_problem() -> str | None:
    """Why Docker cannot build and run an image here, or None when it can."""
    if not shutil.which("docker"):
        return "no docker client on PATH"
    try:
        info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                              timeout=20)
    except subprocess.TimeoutExpired:
        return "docker info timed out"
    if info.returncode != 0:
        return "no Docker daemon: " + (info.stderr.strip().splitlines() or ["docker info failed"])[-1]
    return None


def _compose_command() -> list[str] | None:
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) and subprocess.run([*command, "version"], capture_output=True,
                                                       timeout=20).returncode == 0:
            return command
    return None


@pytest.mark.skipif(_compose_command() is None, reason="neither `docker compose` nor `docker-compose` is installed")
def test_compose_config_validates_with_every_profile(tmp_path):
    """Docker's own reading of the compose file (interpolation, schema, profiles), beyond parsing it as YAML."""
    env = {**os.environ, "HELPDESK_ADMIN_KEYS": "test-key"}
    profiles = sorted({p for service in yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"].values()
                       for p in service.get("profiles", [])})
    command = [*_compose_command(), "-f", str(COMPOSE_FILE), *(arg for p in profiles for arg in ("--profile", p)),
               "config", "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def built_image():
    problem = _docker_problem()
    if problem:
        pytest.skip(f"the container test needs Docker: {problem}")
    tag = f"helpdesk-test:{os.getpid()}"
    build = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, build.stderr[-4000:]
    yield tag
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=120)


def test_the_image_builds_runs_as_a_user_and_serves_health(built_image):
    """Built from this checkout and started as deployed: not as root, no torch, /healthz answers on the port."""
    name = f"helpdesk-test-{os.getpid()}"
    run = subprocess.run(["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1::{APP_PORT}",
                          "-e", "HELPDESK_ADMIN_KEYS=test-key", built_image], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    try:
        uid = subprocess.run(["docker", "exec", name, "id", "-u"], capture_output=True, text=True, timeout=60)
        assert uid.stdout.strip() not in ("", "0"), uid
        torch = subprocess.run(["docker", "exec", name, "python", "-c",
                                "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is not None)"],
                               timeout=60)
        assert torch.returncode == 0, "torch is installed in the image"
        port = subprocess.run(["docker", "port", name, str(APP_PORT)], capture_output=True, text=True,
                              timeout=60).stdout.split()[0].rsplit(":", 1)[1]
        deadline, status = time.time() + 300, None
        while time.time() < deadline and status != 200:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    status = response.status
            except OSError:
                time.sleep(2)
        logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True, timeout=60)
        assert status == 200, logs.stdout[-2000:] + logs.stderr[-2000:]
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=120)


def test_dockerignore_keeps_state_out_and_sources_in():
    patterns = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", "data", ".pytest_cache", "**/__pycache__", ".env"} <= patterns
    for needed in ("common", "ingest", "qa", "service", "evals", "corpus", "deploy", "pyproject.toml", "README.md"):
        assert needed not in patterns, needed


# --- entrypoint ---------------------------------------------------------------------------------------------

def test_entrypoint_is_an_executable_bash_script():
    assert ENTRYPOINT.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    assert b"\r\n" not in ENTRYPOINT.read_bytes()
    assert os.access(ENTRYPOINT, os.X_OK)
    subprocess.run(["bash", "-n", str(ENTRYPOINT)], check=True)
    staged = subprocess.run(["git", "ls-files", "-s", "deploy/entrypoint.sh"], cwd=ROOT,
                            capture_output=True, text=True).stdout
    if staged:  # once committed, git must carry the executable bit too
        assert staged.startswith("100755 "), staged


@pytest.fixture
def fake_helpdesk(tmp_path):
    """A `helpdesk` on PATH that logs its arguments; `ingest` exits with $STUB_INGEST_RC."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    stub = bin_dir / "helpdesk"
    stub.write_text('#!/usr/bin/env bash\necho "$*" >> "$STUB_LOG"\n'
                    'if [ "$1" = ingest ]; then exit "${STUB_INGEST_RC:-0}"; fi\n')
    stub.chmod(0o755)

    def run(*args: str, **env: str) -> tuple[int, list[str]]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
        full_env.update(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", STUB_LOG=str(log), **env)
        log.unlink(missing_ok=True)
        rc = subprocess.run([str(ENTRYPOINT), *args], env=full_env, capture_output=True, timeout=30).returncode
        return rc, log.read_text().splitlines() if log.exists() else []

    return run


def test_entrypoint_ingests_before_serving(fake_helpdesk):
    serve = ("helpdesk", "serve", "--host", "0.0.0.0", "--port", str(APP_PORT))
    assert fake_helpdesk(*serve, HELPDESK_INGEST_ON_START="1") == (
        0, ["ingest /app/corpus", f"serve --host 0.0.0.0 --port {APP_PORT}"])
    assert fake_helpdesk(*serve, HELPDESK_INGEST_ON_START="1", HELPDESK_INGEST_PATHS="/docs /app/corpus")[1][0] == \
        "ingest /docs /app/corpus"
    # Off by default and when 0; with no arguments it serves on the default port.
    assert fake_helpdesk() == (0, [f"serve --host 0.0.0.0 --port {APP_PORT}"])
    assert fake_helpdesk(*serve, HELPDESK_INGEST_ON_START="0")[1] == [f"serve --host 0.0.0.0 --port {APP_PORT}"]
    # Other commands run as given, without an ingest first.
    assert fake_helpdesk("helpdesk", "status", "--json", HELPDESK_INGEST_ON_START="1") == (0, ["status --json"])


def test_entrypoint_serves_after_partial_ingest_but_not_after_a_store_error(fake_helpdesk):
    serve = ("helpdesk", "serve", "--host", "0.0.0.0", "--port", str(APP_PORT))
    rc, calls = fake_helpdesk(*serve, HELPDESK_INGEST_ON_START="1", STUB_INGEST_RC="1")
    assert rc == 0 and calls[-1].startswith("serve")
    rc, calls = fake_helpdesk(*serve, HELPDESK_INGEST_ON_START="1", STUB_INGEST_RC="2")
    assert rc == 2 and calls == ["ingest /app/corpus"]


# --- healthcheck commands, run for real against a stub HTTP server ------------------------------------------

class _Stub(http.server.ThreadingHTTPServer):
    """Answers from `routes` {(method, path): (status, json)} and records request bodies."""

    def __init__(self, routes: dict):
        self.routes = routes
        self.requests: list[tuple[str, str, dict | None]] = []
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def stop(self, after: tuple[str, str] | None = None) -> None:
        """Shuts down, once the `after` request has come (qdrant-client asks GET / from a thread)."""
        deadline = time.monotonic() + 10
        while after and after not in [r[:2] for r in self.requests] and time.monotonic() < deadline:
            time.sleep(0.01)
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        path = urlparse(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.requests.append((self.command, path, body))
        status, payload = self.server.routes.get((self.command, path), (404, {"status": {"error": "not found"}}))
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


def _run_healthcheck(test: list[str], port_from: int, port_to: int) -> int:
    """A compose `CMD` healthcheck with `$$` unescaped, pointed at another port."""
    assert test[0] == "CMD"
    argv = [arg.replace("$$", "$").replace(str(port_from), str(port_to)) for arg in test[1:]]
    if argv[0] == "python":
        argv[0] = sys.executable
    return subprocess.run(argv, capture_output=True, timeout=30).returncode


@pytest.mark.parametrize("status, healthy", [(200, True), (503, False)])
def test_qdrant_healthcheck_reads_readyz(services, status, healthy):
    server = _Stub({("GET", "/readyz"): (status, "all shards are ready" if healthy else "not ready")})
    try:
        rc = _run_healthcheck(services["qdrant"]["healthcheck"]["test"], QDRANT_HTTP_PORT, server.port)
    finally:
        server.stop()
    assert (rc == 0) is healthy
    assert [r[:2] for r in server.requests] == [("GET", "/readyz")]


@pytest.mark.parametrize("status, healthy", [(200, True), (500, False)])
def test_app_healthcheck_reads_healthz(services, status, healthy):
    server = _Stub({("GET", "/healthz"): (status, {"status": "ok"})})
    try:
        rc = _run_healthcheck(services["app"]["healthcheck"]["test"], APP_PORT, server.port)
    finally:
        server.stop()
    assert (rc == 0) is healthy
    assert [r[:2] for r in server.requests] == [("GET", "/healthz")]


# --- the cluster layout reaches Qdrant's create-collection request ------------------------------------------

def _fake_qdrant(collection: str) -> _Stub:
    ok = lambda result: (200, {"result": result, "status": "ok", "time": 0.0})  # noqa: E731
    base = f"/collections/{collection}"
    return _Stub({
        ("GET", "/"): (200, {"title": "qdrant - vector search engine", "version": version("qdrant-client")}),
        ("GET", f"{base}/exists"): ok({"exists": False}),
        # No layout upgrade was left half done (common/store/server.py looks for its copy first).
        ("GET", f"{base}{UPGRADE_SUFFIX}/exists"): ok({"exists": False}),
        ("PUT", base): ok(True),
        ("PUT", f"{base}/index"): ok({"operation_id": 1, "status": "completed"}),
        ("PATCH", base): ok(True),
    })


def _created(server: _Stub, collection: str) -> dict:
    bodies = [body for method, path, body in server.requests if (method, path) == ("PUT", f"/collections/{collection}")]
    assert len(bodies) == 1
    return bodies[0]


def test_cluster_env_reaches_the_create_collection_request(services, monkeypatch):
    """app-cluster's own environment, through Settings and open_store, into the HTTP request qdrant-client sends."""
    server = _fake_qdrant("helpdesk")
    env = {k: _interpolated(v, {"HELPDESK_ADMIN_KEYS": "k"}) for k, v in _env(services["app-cluster"]).items()}
    env["HELPDESK_QDRANT_URL"] = f"http://127.0.0.1:{server.port}"
    for key in list(os.environ):
        if key.startswith("HELPDESK_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    store = open_store(Settings())
    try:
        assert isinstance(store, ServerStore)
        store.ensure_collection(CollectionInfo(embed_model="m", dim=3))
    finally:
        store.close()
        server.stop(after=("GET", "/"))
    body = _created(server, "helpdesk")
    assert body["shard_number"] == int(env["HELPDESK_QDRANT_SHARD_NUMBER"])
    assert body["replication_factor"] == 2
    assert body["vectors"][DENSE_VECTOR]["size"] == 3
    # Payload indexes are created on a server, then the metadata is written last.
    calls = [r[:2] for r in server.requests if r[1].startswith("/collections/")]
    assert calls[-1] == ("PATCH", "/collections/helpdesk")
    assert calls.index(("PUT", "/collections/helpdesk")) < calls.index(("PUT", "/collections/helpdesk/index"))


def test_single_node_leaves_the_layout_to_qdrant():
    server = _fake_qdrant("c")
    store = ServerStore("c", url=f"http://127.0.0.1:{server.port}")
    try:
        store.ensure_collection(CollectionInfo(embed_model="m", dim=3))
    finally:
        store.close()
        server.stop(after=("GET", "/"))
    body = _created(server, "c")
    assert "shard_number" not in body and "replication_factor" not in body


def test_readme_deploy_section_matches_the_files(services):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Deploy\n", 1)[1].split("\n## ", 1)[0]
    for name in ("qdrant", "ollama"):
        assert f"`{services[name]['image']}`" in section, name
    for name in ("app-llm", "app-cluster"):
        host_port = _published(services[name])[0][1]
        assert f"http://localhost:{host_port}" in section, name
    assert set(HELPDESK_NAME.findall(section)) - SETTING_NAMES - ENTRYPOINT_ONLY == set()
    env = _env(services["app-cluster"])
    assert f"HELPDESK_QDRANT_SHARD_NUMBER={env['HELPDESK_QDRANT_SHARD_NUMBER']}" in section
    assert "HELPDESK_QDRANT_REPLICATION_FACTOR=2" in section
