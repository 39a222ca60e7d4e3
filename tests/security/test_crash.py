"""Crash test: the app process killed with SIGKILL in the middle of multi-row writes
leaves no half-written change and loses no write it had acknowledged.

Several clients import small student lists (each one transaction of many rows: students
and their hash-chained audit entries) into a granian-served app; the whole process group
is killed while requests are in flight; a new process on the same database then shows
every acknowledged list complete, every other list complete or absent, and an audit chain
that still verifies. It runs on the suite's own kind of database (SQLite, or PostgreSQL
when DATABASE_URL points at one), in a database of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from tests.test_serving import GRANIAN, ROOT, free_port

ROWS = 12  # students per import: one write of many rows
CLIENTS = 4
KEY = "q0yQ0Ak7OBvI0bD2gqzYn6m0oVQ2ZcF1iVt2Wb2oWl0="

# Run by `manage.py shell`: tables straight from the models (much quicker than replaying
# every migration; the same schema), an admin, and a token printed for the clients.
PREPARE = """
from django.apps import apps
from django.db import connection
from tracker.accounts.models import User
from tracker.accounts.tokens import token_issue
with connection.schema_editor() as editor:
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            editor.create_model(model)
admin = User.objects.create_user("crash-admin", role="admin", password="x" * 20)
print("TOKEN" + token_issue(user=admin).access_token)
"""


@contextmanager
def crash_database(tmp_path: Path):
    """A database URL of the suite's kind, empty, and removed afterwards."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
        return
    import psycopg

    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = "{}_crash_{}".format(
        connection.settings_dict["NAME"], os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    )
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(base + "/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(database_url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL"}},
        "TESTING": "1",  # plain static storage: nothing here needs collected files
        "DATABASE_URL": database_url,
        "FIELD_ENCRYPTION_KEYS": KEY,
        "SECRET_KEY": "crash-test-secret-key-for-this-test-only-0123456789-abcdefghij",
        "API_RATE_LIMIT_USER": "1000000/m",
    }  # fmt: skip


def start(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    # A session of its own, so that one killpg takes the server and all of its workers.
    server = subprocess.Popen(
        [str(GRANIAN), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--blocking-threads", str(CLIENTS), "config.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310 - loopback
                return server, base
        except OSError:
            time.sleep(0.1)
    os.killpg(server.pid, signal.SIGKILL)
    pytest.fail("granian did not start")


def call(base: str, token: str, path: str, *, data: bytes | None = None, headers=None):
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + path, data=data, headers={"Authorization": f"Bearer {token}", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, json.loads(response.read() or b"null")


def import_list(base: str, token: str, tag: str) -> int:
    rows = "".join(f"P{n:02d},{tag}\n" for n in range(ROWS))
    boundary = "crashtestboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{tag}.csv"\r\nContent-Type: text/csv\r\n\r\n'
        f"first_name,last_name\n{rows}\r\n--{boundary}--\r\n"
    ).encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, _ = call(base, token, "/api/v1/students/import?dry_run=false", data=body,
                     headers=headers)  # fmt: skip
    return status


@pytest.mark.every_database
def test_a_killed_app_loses_no_acknowledged_write_and_leaves_no_half_write(tmp_path):
    with crash_database(tmp_path) as database_url:
        env = app_env(database_url)
        prepared = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", PREPARE],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert prepared.returncode == 0, prepared.stderr[-3000:]
        token = prepared.stdout.split("TOKEN")[-1].strip()

        server, base = start(env)
        acknowledged, sent, in_flight = set(), [], Counter()
        lock, stop = threading.Lock(), threading.Event()

        def client(number: int) -> None:
            for attempt in range(1000):
                if stop.is_set():
                    return
                tag = f"W{number}x{attempt:03d}"
                with lock:
                    sent.append(tag)
                    in_flight[tag] += 1
                try:
                    status = import_list(base, token, tag)
                except (OSError, urllib.error.URLError):
                    return  # the server is gone: this write's fate is unknown
                with lock:
                    in_flight[tag] -= 1
                    if status == 201:
                        acknowledged.add(tag)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 15
        while len(acknowledged) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        with lock:
            unanswered = +in_flight  # requests sent and not answered when the kill lands
            os.killpg(server.pid, signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        server.wait(timeout=10)
        assert len(acknowledged) >= 8, "too few writes before the kill to test anything"
        assert unanswered, "the kill landed between writes: nothing was in flight"

        server, base = start(env)
        try:
            _, page = call(base, token, "/api/v1/students?limit=100000")
            _, chain = call(base, token, "/api/v1/audit/verify")
        finally:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)

    rows_per_write = Counter(student["last_name"] for student in page["results"])
    half_written = {tag: n for tag, n in rows_per_write.items() if n != ROWS}
    lost = {tag for tag in acknowledged if rows_per_write[tag] != ROWS}
    assert half_written == {}
    assert lost == set()
    assert set(rows_per_write) <= set(sent)
    assert chain["intact"] is True, chain
