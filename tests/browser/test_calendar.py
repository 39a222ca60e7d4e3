"""The calendar in the browser: a moderator books a weekly series, moves one session by
drag-and-drop (and undoes it), and is stopped by a clash; a tutor sees their own sessions
in the status colours and symbols, on a phone and on a desktop. axe checks every screen."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_signin import sign_in
from tests.factories import SubjectFactory, UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.scheduling.models import Session, SessionStatus, SessionStudent
from tracker.scheduling.services import bump_feed_version

ZONE = ZoneInfo(settings.TIME_ZONE)
STATUS_COLOURS = {"scheduled": "#1d4ed8", "completed": "#15803d", "cancelled": "#6b7280"}
# The rules FullCalendar's own markup breaks unless calendar-a11y.js repairs it; run by
# name as well, because two of them are best-practice rules outside the WCAG tags.
FULLCALENDAR_RULES = [
    "empty-table-header",
    "label-content-name-mismatch",
    "scrollable-region-focusable",
    "aria-required-children",
    "aria-required-parent",
]


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the business's zone, stored as the models store it: in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


def book(tutor, students, subject, day: date, hour: int, status=SessionStatus.SCHEDULED) -> Session:
    session = Session.objects.create(
        tutor=tutor, subject=subject, start=utc(day, hour), end=utc(day, hour + 1), status=status
    )
    for student in students:
        SessionStudent.objects.create(
            session=session,
            student=student,
            start=session.start,
            end=session.end,
            active=status != SessionStatus.CANCELLED,
        )
    return session


def fullcalendar_rules_pass(page: Page) -> None:
    violations = page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'rule', values: rules}})"
        ".then(r => r.violations.map(v => v.id))",
        FULLCALENDAR_RULES,
    )
    assert violations == []


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def column(page: Page, day: date):
    return page.locator(f'#calendar [role="gridcell"][data-date="{day.isoformat()}"]')


def lane_tops(page: Page, *slots: str) -> list[float]:
    """The y of time slots' lanes in the time grid (not their labels on the axis), with
    the first of them scrolled into view."""
    return page.evaluate(
        """slots => {
            const lane = (slot) => [...document.querySelectorAll(`#calendar [data-time="${slot}"]`)]
                .find((el) => !el.closest("[role=rowheader]"));
            lane(slots[0]).scrollIntoView({block: "center"});
            return slots.map((slot) => lane(slot).getBoundingClientRect().top);
        }""",
        list(slots),
    )


def drag(page: Page, source, target_column) -> None:
    """Drag an event by its middle to the same time in another day's column."""
    box = source.bounding_box()
    target = target_column.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 10, y, steps=3)
    page.mouse.move(target["x"] + target["width"] / 2, y, steps=10)
    page.mouse.up()


@pytest.fixture
def lessons(live_server):
    """A tutor with a student and a subject, and a moderator to book them."""
    tutor = UserFactory(username="thabo", role=Role.TUTOR, first_name="Thabo", last_name="Nkosi")
    student = StudentFactory(first_name="Lerato", last_name="Dube", tutors=[tutor])
    other = StudentFactory(first_name="Mpho", last_name="Molefe", tutors=[tutor])
    maths = SubjectFactory(name="Mathematics")
    UserFactory(username="coordinator", role=Role.MODERATOR)
    return {"tutor": tutor, "student": student, "other": other, "maths": maths}


# Drag-and-drop is a desktop journey; on phones the tutor's journey runs instead.
@pytest.mark.parametrize("screen", ["desktop"])
def test_a_moderator_books_a_weekly_series_and_moves_one_session(visit, lessons, database):
    tutor, maths = lessons["tutor"], lessons["maths"]
    monday = (
        timezone.localdate() - timedelta(days=timezone.localdate().weekday()) + timedelta(weeks=1)
    )
    tuesday, wednesday, thursday = (monday + timedelta(days=n) for n in (1, 2, 3))
    busy = book(tutor, [lessons["other"]], maths, wednesday, 10)
    page = visit.page
    sign_in(visit, "coordinator")
    visit.goto("/calendar/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar")
    expect(page.get_by_role("tab", name="Week view")).to_have_attribute("aria-selected", "true")
    visit.check("week")

    page.get_by_role("button", name="Next").click()
    expect(column(page, wednesday).get_by_role("button", name="Mathematics · Mpho")).to_be_visible()
    fullcalendar_rules_pass(page)

    # Select Tuesday 10:00–11:00 by dragging over the two half-hour slots.
    start_y, end_y = lane_tops(page, "10:00:00", "10:30:00")
    box = column(page, tuesday).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, start_y + 4)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, end_y + 10, steps=5)
    page.mouse.up()

    dialog = page.get_by_role("dialog", name="New session")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Starts")).to_have_value(f"{tuesday.isoformat()}T10:00")
    expect(dialog.get_by_label("Ends")).to_have_value(f"{tuesday.isoformat()}T11:00")
    expect(dialog.locator("#ns-tutor option", has_text="Thabo Nkosi")).to_be_attached()
    expect(dialog.locator("#ns-students option", has_text="Lerato Dube")).to_be_attached()
    expect(dialog.locator("#ns-subject option", has_text="Mathematics")).to_be_attached()
    dialog.get_by_label("Tutor").select_option(label="Thabo Nkosi")
    dialog.get_by_label("Students").select_option(label="Lerato Dube")
    dialog.get_by_label("Subject").select_option(label="Mathematics")
    dialog.get_by_label("Repeats").select_option(label="Weekly")
    expect(dialog.get_by_role("checkbox", name="Tuesday")).to_be_checked()
    dialog.get_by_label("Or number of sessions").fill("4")
    visit.check("new-session")
    dialog.get_by_role("button", name="Create session").click()

    expect(dialog).to_be_hidden()
    expect(
        page.get_by_role("status").filter(has_text="Repeating sessions created.")
    ).to_be_visible()
    with database:
        series = list(Session.objects.filter(series__isnull=False).order_by("start"))
    assert [s.start for s in series] == [utc(tuesday + timedelta(weeks=n), 10) for n in range(4)]
    occurrence = column(page, tuesday).get_by_role("button", name="Mathematics · Lerato")
    expect(occurrence).to_be_visible()
    for week in range(1, 4):
        page.get_by_role("button", name="Next").click()
        later = column(page, tuesday + timedelta(weeks=week))
        expect(later.get_by_role("button", name="Mathematics · Lerato")).to_have_count(1)
    for _ in range(3):
        page.get_by_role("button", name="Previous").click()
    expect(occurrence).to_be_visible()

    # Drag Tuesday's session to Thursday: it moves, and Undo puts it back.
    first = series[0]
    drag(page, occurrence, column(page, thursday))
    expect(page.get_by_role("status").filter(has_text="Moved.")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    expect(
        column(page, thursday).get_by_role("button", name="Mathematics · Lerato")
    ).to_be_visible()
    with database:
        first.refresh_from_db()
    assert first.start == utc(thursday, 10)
    visit.check("moved")

    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status").filter(has_text="Move undone.")).to_be_visible()
    expect(occurrence).to_be_visible()
    with database:
        first.refresh_from_db()
    assert first.start == utc(tuesday, 10)

    # Onto Wednesday 10:00, where Thabo already teaches Mpho: refused, and it goes back.
    drag(page, occurrence, column(page, wednesday))
    clash = page.get_by_role("status").filter(has_text="clashes with Thabo Nkosi’s session")
    expect(clash).to_be_visible()
    expect(clash).to_contain_text("Nothing was changed.")
    expect(page.get_by_role("button", name="Undo")).to_be_hidden()
    expect(occurrence).to_be_visible()
    expect(
        column(page, wednesday).get_by_role("button", name="Mathematics · Lerato")
    ).to_have_count(0)
    with database:
        first.refresh_from_db()
        busy.refresh_from_db()
    assert first.start == utc(tuesday, 10)
    assert busy.start == utc(wednesday, 10)
    # Chromium logs every refused request; this one is the clash the test provoked.
    assert visit.console_errors == [
        "Failed to load resource: the server responded with a status of 409 (Conflict)"
    ]
    visit.console_errors.clear()
    fullcalendar_rules_pass(page)
    no_sideways_scroll(page)
    visit.check("clash")


@pytest.fixture
def tutors_day(live_server):
    """Today's sessions of one tutor, one in each status, and another tutor's session."""
    today = timezone.localdate()
    tutor = UserFactory(
        username="thandi", role=Role.TUTOR, first_name="Thandi", last_name="Mokoena"
    )
    outsider = UserFactory(username="sipho", role=Role.TUTOR, first_name="Sipho", last_name="Zulu")
    lerato = StudentFactory(first_name="Lerato", last_name="Dube", tutors=[tutor])
    zinhle = StudentFactory(first_name="Zinhle", last_name="Khumalo", tutors=[outsider])
    maths, physics = SubjectFactory(name="Mathematics"), SubjectFactory(name="Physics")
    book(tutor, [lerato], maths, today, 8, SessionStatus.COMPLETED)
    book(tutor, [lerato], maths, today, 12, SessionStatus.SCHEDULED)
    cancelled = book(tutor, [lerato], maths, today, 16, SessionStatus.CANCELLED)
    cancelled.cancellation_reason = "Exam week"
    cancelled.save()
    book(outsider, [zinhle], physics, today, 10)
    return {"today": today, "tutor": tutor, "student": lerato, "subject": maths}


def test_a_tutor_sees_only_their_own_sessions_in_status_colours_and_symbols(
    visit, tutors_day, database
):
    page = visit.page
    sign_in(visit, "thandi")
    visit.goto("/calendar/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My calendar")
    # Phones open on the day's list, desktops on the week.
    expected_view = "Day view" if visit.screen == "phone" else "Week view"
    expect(page.get_by_role("tab", name=expected_view)).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("button", name="New session")).to_have_count(0)
    expect(page.get_by_role("search", name="Filter sessions")).to_have_count(0)

    legend = page.get_by_role("list", name="Session status")
    for label in ["Scheduled", "Completed", "Cancelled"]:
        expect(legend.get_by_role("listitem").filter(has_text=label)).to_be_visible()

    events = page.locator("#calendar .cal-event")
    expect(events).to_have_count(3)
    for status, symbol in [("completed", "✓"), ("scheduled", "○"), ("cancelled", "✕")]:
        event = page.locator(f"#calendar .cal-event--{status}")
        expect(event).to_contain_text("Mathematics · Lerato")
        expect(event.locator(".cal-marker__symbol")).to_have_text(symbol)
        # The status in words too: visible in the list, for screen readers in the grid.
        expect(event.locator(".cal-marker")).to_contain_text(status.capitalize())
        colour = event.evaluate(
            "el => getComputedStyle(el).getPropertyValue('--fc-event-color').trim()"
        )
        assert colour == STATUS_COLOURS[status]
    expect(page.locator("#calendar")).not_to_contain_text("Physics")
    expect(page.locator("#calendar")).not_to_contain_text("Zinhle")
    fullcalendar_rules_pass(page)
    no_sideways_scroll(page)
    visit.check("own-week")

    # The details open in a dialog with nothing to manage; Esc closes it.
    page.locator("#calendar .cal-event--cancelled").get_by_text("Mathematics · Lerato").click()
    dialog = page.get_by_role("dialog", name="Mathematics · Lerato")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Mathematics · Lerato")).to_be_focused()
    expect(dialog).to_contain_text("Cancelled")
    expect(dialog).to_contain_text("Exam week")
    expect(dialog).to_contain_text("Thandi Mokoena")
    expect(dialog.get_by_role("button", name="Cancel session")).to_have_count(0)
    expect(dialog.get_by_role("button", name="Move session")).to_have_count(0)
    visit.check("details")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    if visit.screen == "phone":
        # A swipe to the left shows the next day, to the right the one before.
        title = page.locator("#calendar").get_by_role("heading", level=2)
        today = title.inner_text()
        swipe(page, -150)
        expect(title).not_to_have_text(today)
        expect(events).to_have_count(0)
        swipe(page, 150)
        expect(title).to_have_text(today)
        expect(events).to_have_count(3)
        visit.check("after-swipe")

    # Booked elsewhere meanwhile: the version poll notices and the calendar refetches.
    with database:
        day = tutors_day
        book(day["tutor"], [day["student"]], day["subject"], day["today"], 18)
        bump_feed_version()
    expect(events).to_have_count(4, timeout=10_000)


def swipe(page: Page, dx: float) -> None:
    """A one-finger horizontal swipe across the calendar, as touch events."""
    page.evaluate(
        """dx => {
            const el = document.getElementById("calendar");
            const box = el.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + 120;
            const at = (cx) => new Touch({identifier: 1, target: el, clientX: cx, clientY: y});
            const fire = (type, touches, changed) => el.dispatchEvent(
                new TouchEvent(type, {touches, changedTouches: changed, bubbles: true}));
            fire("touchstart", [at(x)], [at(x)]);
            fire("touchend", [], [at(x + dx)]);
        }""",
        dx,
    )
