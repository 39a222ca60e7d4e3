"""The production path `make run` uses: granian (WSGI) + WhiteNoise, no runserver."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.processes import stop

ROOT = Path(__file__).resolve().parents[1]
GRANIAN = Path(sys.executable).parent / "granian"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def served_app(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("served")
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"TESTING", "DATABASE_URL"}},
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "STATIC_ROOT": str(workdir / "static"),
    }
    for args in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *args, "-v0"], cwd=ROOT, env=env, check=True, timeout=120
        )
    port = free_port()
    server = subprocess.Popen(
        [str(GRANIAN), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--blocking-threads", "2", "config.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if fetch(base + "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail(f"granian did not start: {server.stderr.read().decode()[-2000:]}")
    yield base
    stop(server)


def test_served_app_is_healthy_and_ready(served_app):
    assert fetch(served_app + "/healthz")[0] == 200
    assert fetch(served_app + "/readyz")[0] == 200


def test_served_home_page_links_hashed_static_files(served_app):
    status, headers, body = fetch(served_app + "/")
    assert status == 200
    assert headers["server"] == "granian"
    html = body.decode()
    assert "/static/css/app." in html
    assert ".css" in html


def test_static_files_are_compressed_and_cached_for_a_year(served_app):
    html = fetch(served_app + "/")[2].decode()
    start = html.index("/static/vendor/htmx-2.0.11/htmx.")
    url = html[start : html.index('"', start)]
    status, headers, _ = fetch(served_app + url, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in headers["Cache-Control"]


def test_served_api_errors_are_problems(served_app):
    status, headers, _ = fetch(served_app + "/api/v1/does-not-exist")
    assert status == 404
    assert headers["Content-Type"] == "application/problem+json"


def test_static_files_are_served_with_brotli_when_the_browser_takes_it(served_app):
    html = fetch(served_app + "/")[2].decode()
    start = html.index("/static/css/app.")
    url = html[start : html.index('"', start)]
    status, headers, _ = fetch(served_app + url, {"Accept-Encoding": "br, gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "br"
