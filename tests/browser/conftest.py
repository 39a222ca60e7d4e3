"""Browser tests: Playwright driving Debian's Chromium against the app on a loopback port."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler

from tests.browser.helpers import SCREENS, Visit

# Playwright's sync API keeps an event loop running in the test thread; the ORM calls that
# tests make to arrange data are still plain synchronous calls, so allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
# Without the networking flags Chromium keeps calling hosts this network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# One lock for the whole run: a request still in flight when its test ends (a tab's poll,
# an offline replay) must finish before the next test touches the shared connection.
_ONE_AT_A_TIME = threading.Lock()


@pytest.fixture(scope="session", autouse=True)
def _serialised_requests():
    serve = WSGIHandler.__call__

    def one_at_a_time(self, environ, start_response):
        with _ONE_AT_A_TIME:
            return serve(self, environ, start_response)

    WSGIHandler.__call__ = one_at_a_time
    yield
    WSGIHandler.__call__ = serve


@pytest.fixture(autouse=True)
def database() -> threading.Lock:
    """One request at a time, and the test's own queries between them.

    With an in-memory SQLite database, Django's live server hands one connection to every
    request thread and to the test. Pages ask for several things at once (the calendar's
    sessions, its pickers' lists, the version; a service worker's warm-up), which a real
    database queues; here the lock does. Tests hold it (`with database:`) to read the
    database while the page runs.
    """
    yield _ONE_AT_A_TIME
    # Wait for any request still being served before the test's data is rolled back.
    with _ONE_AT_A_TIME:
        pass


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(params=list(SCREENS))
def screen(request) -> str:
    return request.param


@pytest.fixture
def visit(browser, live_server, screen, request):
    """A fresh browser context at phone or desktop size, with axe loaded into every page."""
    context = browser.new_context(viewport=SCREENS[screen], base_url=live_server.url)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    in_flight: set = set()
    page.on("request", lambda req: in_flight.add(req))
    page.on("requestfinished", lambda req: in_flight.discard(req))
    page.on("requestfailed", lambda req: in_flight.discard(req))
    session = Visit(page=page, screen=screen, test_name=request.node.originalname)
    yield session
    # A request still in flight when the test ends would be served while the test database
    # is flushed: a row it wrote then failed its FOREIGN KEY at teardown (seen once in CI).
    deadline = time.monotonic() + 5
    while in_flight and not page.is_closed() and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    context.close()
