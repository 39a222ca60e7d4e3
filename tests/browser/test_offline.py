"""Offline on a phone (DESIGN.md §5): the app is installable and its service worker takes
over; the calendar and the today screen open with no network; logs made offline wait on
the device and reach the server exactly once when the connection returns, however often
they are sent; a session cancelled meanwhile shows its conflict instead of being dropped."""

from __future__ import annotations

import re
import threading
from datetime import datetime, time, timedelta
from urllib.parse import urljoin

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_signin import sign_in
from tests.factories import SubjectFactory, UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.attendance.models import Attendance, LogReceipt, SessionLog
from tracker.audit.models import AuditLog
from tracker.scheduling.models import Session, SessionStatus
from tracker.scheduling.services import session_cancel, session_create

# Offline is the tutor's phone journey.
pytestmark = pytest.mark.parametrize("screen", ["phone"])


@pytest.fixture
def day(live_server) -> dict:
    """A tutor's day: three short sessions since midnight (so all can be logged now, at
    whatever time the test runs), one tomorrow and one a week ahead."""
    tutor = UserFactory(username="thabo", role=Role.TUTOR, first_name="Thabo", last_name="Nkosi")
    moderator = UserFactory(username="coordinator", role=Role.MODERATOR)
    lerato = StudentFactory(first_name="Lerato", last_name="Dube", tutors=[tutor])
    maths = SubjectFactory(name="Mathematics")
    midnight = datetime.combine(
        timezone.localdate(), time(0, 0), tzinfo=timezone.get_current_timezone()
    )

    def book(start: datetime) -> Session:
        return session_create(
            actor=moderator, tutor=tutor, students=[lerato], subject=maths,
            start=start, end=start + timedelta(minutes=10),
        )  # fmt: skip

    return {
        "moderator": moderator,
        "lerato": lerato,
        "today": [book(midnight + timedelta(minutes=m)) for m in (1, 12, 23)],
        "tomorrow": book(midnight + timedelta(days=1, hours=10)),
        "next_week": book(midnight + timedelta(days=7, hours=10)),
    }


def controlled_by_the_worker(visit) -> None:
    """Wait for the worker to be active and to control this page (the first visit is
    controlled once the worker claims it; a reload makes sure)."""
    page = visit.page
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")


def eventually(page: Page, script: str, arg=None, seconds: float = 5) -> None:
    """Until an asynchronous check in the page holds (wait_for_function does not wait for
    a promise: it takes the promise itself as the truthy answer)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(script, arg):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"Still false after {seconds} s: {script}")


def wait_for_warm_feed(page: Page, through: datetime) -> None:
    """Until the worker has saved the feed for a range reaching `through`."""
    eventually(
        page,
        """through => caches.open("tracker-user-data-v1").then(c => c.keys()).then(keys =>
            keys.some(k => {
                const end = new URL(k.url).searchParams.get("end");
                return k.url.includes("/api/v1/sessions?") && end && Date.parse(end) > through;
            }))""",
        through.timestamp() * 1000,
    )


# The logs waiting on the device, read straight from IndexedDB (on any page, loaded
# log-queue.js or not).
READ_QUEUE = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open("tracker-offline");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
        const read = open.result.transaction("logs").objectStore("logs").getAll();
        read.onerror = () => reject(read.error);
        read.onsuccess = () => { open.result.close(); resolve(read.result); };
    };
})"""


def queued(page: Page) -> list[dict]:
    return page.evaluate(f"({READ_QUEUE})()")


def wait_for_queue(page: Page, condition: str) -> None:
    eventually(page, f"() => ({READ_QUEUE})().then(items => {condition})")


def cache_names(page: Page) -> list[str]:
    return sorted(page.evaluate("caches.keys()"))


def open_offline(page: Page, path: str) -> None:
    """Go to a page with the network off: the worker must answer, not the HTTP cache."""
    response = page.goto(path)
    assert response is not None
    assert response.from_service_worker


def card(page: Page, session: Session):
    return page.locator(f'article[aria-labelledby="session-{session.pk}-title"]')


def go_online_and_sync(visit) -> None:
    visit.page.context.set_offline(False)
    # Chromium fires `online` itself when emulation ends; dispatching it again makes the
    # page's sync independent of that (a second sync is what the server must absorb).
    visit.page.evaluate("window.dispatchEvent(new Event('online'))")


def log_requests(page: Page) -> list[str]:
    """The Idempotency-Key of every log the page sends, whether it arrives or not."""
    keys: list[str] = []

    def on_request(request) -> None:
        if request.method == "POST" and request.url.endswith("/log"):
            keys.append(request.headers["idempotency-key"])

    page.on("request", on_request)
    return keys


def network_failures_only(visit) -> None:
    """Chromium logs each request that failed while offline as a console error; those are
    the test's own doing. Anything else is a real error, so they are removed one by one."""
    expected = ("net::ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED")
    assert all(error.endswith(expected) for error in visit.console_errors), visit.console_errors
    visit.console_errors.clear()


def test_calendar_and_today_open_offline_and_logs_arrive_exactly_once(visit, day, database):
    page = visit.page
    first, second = day["today"][:2]
    sent = log_requests(page)
    sign_in(visit, "thabo")
    visit.goto("/calendar/")
    controlled_by_the_worker(visit)
    # Today's three, whichever view a phone opens with (a day, a week or a list).
    expect(page.locator("#calendar .cal-event").nth(2)).to_be_visible()
    visit.goto("/attendance/today/")
    controlled_by_the_worker(visit)
    expect(card(page, first)).to_be_visible()
    wait_for_warm_feed(page, day["next_week"].end)
    visit.check("today-online")

    # Offline: both pages come from the worker, and the calendar shows a period it never
    # asked for online (the next day or week), from the weeks the worker saved ahead.
    page.context.set_offline(True)
    open_offline(page, "/calendar/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My calendar")
    events = page.locator("#calendar .cal-event")
    expect(events.nth(2)).to_contain_text("Mathematics · Lerato")
    title = page.locator("#calendar").get_by_role("heading", level=2)
    this_period = title.inner_text()
    page.get_by_role("button", name="Next").click()
    expect(title).not_to_have_text(this_period)
    expect(events.first).to_contain_text("Mathematics · Lerato")

    open_offline(page, "/attendance/today/")
    for session in (first, second):
        card(page, session).get_by_role("button", name="Completed").click()
        expect(card(page, session).get_by_role("status")).to_have_text("Waiting to sync")
        expect(card(page, session).get_by_role("button", name="Completed")).to_be_hidden()
    items = queued(page)
    assert sorted(item["sessionId"] for item in items) == [first.pk, second.pk]
    assert all(item["body"]["attendance"] == {str(day["lerato"].pk): "present"} for item in items)
    with database:
        assert not SessionLog.objects.exists()

    go_online_and_sync(visit)
    for session in (first, second):
        expect(card(page, session).get_by_role("status")).to_have_text("Logged")
        expect(card(page, session).locator(".badge")).to_have_text("Completed")
    network_failures_only(visit)
    visit.check("logged")
    assert queued(page) == []
    arrived_once(database, first, second)

    # The same logs again, as a device restored from a backup or a lost answer would send
    # them: the server answers from its receipts and logs nothing twice.
    page.evaluate("items => Promise.all(items.map(item => TrackerLogQueue.put(item)))", items)
    page.reload()
    wait_for_queue(page, "items.length === 0")
    page.reload()
    expect(card(page, first)).to_contain_text("Logged at")
    for item in items:
        assert sent.count(item["key"]) >= 2
    arrived_once(database, first, second)
    visit.check("reloaded")

    # Signing out forgets this tutor's pages and sessions; the shell (static files and the
    # impersonal offline page) stays for whoever signs in next.
    assert any(name.startswith("tracker-user-") for name in cache_names(page))
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert cache_names(page) == ["tracker-shell-v1"]


def arrived_once(database: threading.Lock, *sessions: Session) -> None:
    ids = [session.pk for session in sessions]
    with database:
        assert set(Session.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
            SessionStatus.COMPLETED
        }
        assert (
            sorted(Attendance.objects.filter(session__in=ids).values_list("session", flat=True))
            == ids
        )
        assert (
            sorted(LogReceipt.objects.filter(session__in=ids).values_list("session", flat=True))
            == ids
        )
        logged = AuditLog.objects.filter(action="attendance.session.logged")
        assert sorted(logged.values_list("target_id", flat=True)) == sorted(str(pk) for pk in ids)


def background_sync(page: Page) -> None:
    """Fire the worker's `sync` event as the browser does once it is back online. Chromium
    decides that from the real network, not from Playwright's emulated one, so the test
    fires it through the DevTools protocol instead of waiting for the retry."""
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    origin = page.evaluate("location.origin")
    registration = next(r for r in registrations if r["scopeURL"] == origin + "/")
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": origin,
            "registrationId": registration["registrationId"],
            "tag": "sync-logs",
            "lastChance": False,
        },
    )


def test_a_session_cancelled_while_offline_shows_the_conflict(visit, day, database):
    page = visit.page
    first, second, third = day["today"]
    sign_in(visit, "thabo")
    visit.goto("/attendance/today/")
    controlled_by_the_worker(visit)

    page.context.set_offline(True)
    page.reload()
    for session in (first, second, third):
        card(page, session).get_by_role("button", name="Completed").click()
        expect(card(page, session).get_by_role("status")).to_have_text("Waiting to sync")
    with database:
        for session in (first, third):
            session_cancel(actor=day["moderator"], session=session, reason="Exam week")

    # Back online with the today page closed: the worker's Background Sync sends the logs.
    open_offline(page, "/calendar/")
    page.context.set_offline(False)
    background_sync(page)
    wait_for_queue(page, "items.length === 2 && items.every(item => item.state === 'conflict')")
    arrived_once(database, second)
    with database:
        assert not SessionLog.objects.filter(session__in=[first.pk, third.pk]).exists()

    # The conflicts wait on the device for the tutor: log one anyway, discard the other.
    visit.goto("/attendance/today/")
    conflict = "This session was cancelled meanwhile (Exam week). Log it anyway?"
    for session in (first, third):
        expect(card(page, session).get_by_role("status")).to_have_text(conflict)
    expect(card(page, second)).to_contain_text("Logged at")
    network_failures_only(visit)
    visit.check("conflict")

    card(page, first).get_by_role("button", name="Log anyway").click()
    expect(card(page, first).get_by_role("status")).to_have_text("Logged")
    expect(card(page, first).locator(".badge")).to_have_text("Completed")
    card(page, third).get_by_role("button", name="Discard").click()
    expect(card(page, third).get_by_role("status")).to_have_text("")
    expect(card(page, third).get_by_role("button", name="Completed")).to_be_focused()
    assert queued(page) == []
    arrived_once(database, first, second)
    with database:
        third.refresh_from_db()
        assert third.status == SessionStatus.CANCELLED
        assert not SessionLog.objects.filter(session=third).exists()
    visit.check("resolved")


def test_the_app_is_installable_and_starts_offline(visit, day):
    """What Lighthouse's PWA audit checked, with what runs here: Chromium's own
    installability verdict, the manifest, a controlling worker, and an offline start."""
    page = visit.page
    sign_in(visit, "thabo")
    manifest_url = page.locator('link[rel="manifest"]').evaluate("link => link.href")
    manifest = page.request.get(manifest_url).json()
    assert manifest["display"] == "standalone"
    icons = {icon["sizes"]: icon for icon in manifest["icons"] if icon["purpose"] == "any"}
    assert set(icons) == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        response = page.request.get(urljoin(manifest_url, icon["src"]))
        assert response.ok
        assert response.headers["content-type"] == "image/png"
    start_url = urljoin(manifest_url, manifest["start_url"])
    assert (
        page.locator('meta[name="theme-color"]').get_attribute("content") == manifest["theme_color"]
    )

    visit.goto(start_url)
    controlled_by_the_worker(visit)
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")
    cdp = page.context.new_cdp_session(page)
    assert cdp.send("Page.getAppManifest")["errors"] == []
    # Playwright's contexts are incognito, where Chromium installs nothing; any other
    # reason (manifest, icons, worker, start URL) would be listed too.
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [error["errorId"] for error in errors] == ["in-incognito"]

    page.context.set_offline(True)
    open_offline(page, start_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    # A page never opened before: the worker's offline page, never an error page.
    open_offline(page, "/students/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
    network_failures_only(visit)
    visit.check("offline-page")
