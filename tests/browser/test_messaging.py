"""A message reaches an open page within three seconds, in one process and across two
app processes sharing Redis and the database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest
import redis
from django.db import connection
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS
from tests.browser.helpers import Visit
from tests.browser.test_signin import sign_in
from tests.factories import TEST_PASSWORD, UserFactory
from tests.processes import stop
from tests.test_serving import GRANIAN, ROOT, fetch, free_port
from tracker.accounts.models import Role

WITHIN = 3000  # ms: the promise made to people


def write(page, recipient: str, subject: str, body: str) -> None:
    page.get_by_role("link", name="New message").click()
    page.get_by_label("To:", exact=True).select_option(label=recipient)
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Message").fill(body)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Message sent")


def test_a_message_and_its_reply_appear_on_open_pages(
    visit, browser, live_server, database, request
):
    UserFactory(username="coord", role=Role.MODERATOR, first_name="Cora", last_name="Coord")
    UserFactory(username="tutor", role=Role.TUTOR, first_name="Tumi", last_name="Tutor")
    sign_in(visit, "tutor")
    visit.goto("/messages/")
    bell = visit.page.get_by_role("link", name="Notifications: 0 unread")
    expect(bell).to_be_visible()
    visit.check("inbox-empty")

    other = browser.new_context(viewport=SCREENS["desktop"], base_url=live_server.url)
    request.addfinalizer(other.close)  # a failing test must not leave a tab polling
    coordinator = Visit(page=other.new_page(), screen="desktop", test_name="coordinator")
    sign_in(coordinator, "coord")
    coordinator.goto("/messages/")
    write(coordinator.page, "Tumi Tutor (Tutor)", "Thursday", "Can you take Palesa at 16:00?")

    page = visit.page
    expect(page.get_by_role("link", name="Notifications: 1 unread")).to_be_visible(timeout=WITHIN)
    expect(page.get_by_role("link", name="Thursday")).to_be_visible(timeout=WITHIN)
    visit.check("inbox-new")
    page.get_by_role("link", name="Thursday").click()
    expect(page.get_by_text("Can you take Palesa at 16:00?")).to_be_visible()
    page.get_by_label("Reply").fill("Yes, I can.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Yes, I can.")).to_be_visible()
    visit.check("thread")

    # The coordinator's open thread shows the reply and that it was read, without reload.
    expect(coordinator.page.get_by_text("Yes, I can.")).to_be_visible(timeout=WITHIN)
    coordinator.page.get_by_text("Sent to 1 person").click()
    expect(coordinator.page.get_by_text("not read yet")).to_have_count(0)
    assert coordinator.console_errors == []


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory, django_db_setup, django_db_blocker):
    """Two granian processes on one database and one Redis database of their own. TESTING
    keeps static files uncompressed: brotli-compressing them again costs a minute."""
    tmp_path = tmp_path_factory.mktemp("two-processes")
    steps = [["collectstatic", "--noinput", "-v0"]]
    if connection.vendor == "sqlite":
        # The test database's tables, copied: seconds quicker than every migration again.
        with django_db_blocker.unblock(), sqlite3.connect(tmp_path / "db.sqlite3") as target:
            connection.ensure_connection()
            connection.connection.backup(target)
    else:
        steps.insert(0, ["migrate", "--noinput", "-v0"])
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    # It flushes its database: one no other test uses (shared_redis in tests/conftest.py: 10).
    redis_db = 12 + int(worker.removeprefix("gw") or 0)
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **{k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}},
        "TESTING": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "REDIS_URL": redis_url,
        "SECRET_KEY": "two-processes-share-one-secret-key-for-this-test-only-0123456789",
    }  # fmt: skip
    people = (
        "from tracker.accounts.models import User\n"
        f"User.objects.create_user('coord', role='moderator', first_name='Cora',"
        f" last_name='Coord', password='{TEST_PASSWORD}')\n"
        f"User.objects.create_user('tutor', role='tutor', first_name='Tumi',"
        f" last_name='Tutor', password='{TEST_PASSWORD}')\n"
    )
    for args in [*steps, ["shell", "-c", people]]:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                       timeout=120)  # fmt: skip
    servers, bases = [], []
    for _ in range(2):
        port = free_port()
        servers.append(subprocess.Popen(
            [str(GRANIAN), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1", "--blocking-threads", "4", "config.wsgi:application"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        ))  # fmt: skip
        bases.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    for base in bases:
        while True:
            try:
                if fetch(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("granian did not start")
            time.sleep(0.2)
    yield bases, redis.Redis.from_url(redis_url)
    for server in servers:
        stop(server)


def test_a_message_sent_through_one_process_reaches_a_page_served_by_another(
    visit, browser, two_processes, request
):
    (first, second), shared = two_processes
    shared.flushdb()
    tag = visit.screen  # each screen size runs against the same two processes
    page = visit.page
    page.goto(second + "/accounts/login/")
    page.get_by_label("Username or e-mail").fill("tutor")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(second + "/messages/")

    other = browser.new_context(viewport=SCREENS["desktop"])
    request.addfinalizer(other.close)
    sender = other.new_page()
    sender.goto(first + "/accounts/login/")
    sender.get_by_label("Username or e-mail").fill("coord")
    sender.get_by_label("Password").fill(TEST_PASSWORD)
    sender.get_by_role("button", name="Sign in").click()
    sender.goto(first + "/messages/")
    bell = page.locator("[data-inbox-url] [data-count]")
    before = int(bell.text_content() or 0)
    write(sender, "Tumi Tutor (Tutor)", f"Across processes {tag}", "Hello from the other one")

    expect(bell).to_have_text(str(before + 1), timeout=WITHIN)
    expect(page.get_by_role("link", name=f"Across processes {tag}")).to_be_visible(timeout=WITHIN)
    # The polls were answered from the shared cache, not only from the database.
    assert any(key.startswith(b":1:inbox-version:") for key in shared.keys("*inbox-version*"))
    visit.check("across-processes")
