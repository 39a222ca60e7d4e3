"""Every dashboard figure against the business of conftest.py, worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from ninja import Router
from ninja.testing import TestClient

from tests.reports.conftest import NOW
from tracker.finance import selectors as finance
from tracker.finance import services as money
from tracker.reports import api as reports_api
from tracker.reports import dashboards
from tracker.reports.dashboards import StatusCounts

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(monkeypatch):
    """Pages and the API ask for the dashboard without a time: give them NOW."""
    monkeypatch.setattr(dashboards, "_now", lambda now: now or NOW)


def test_a_tutor_sees_their_week_what_to_log_and_hours_taught(world, tutor):
    s = world["sessions"]
    data = dashboards.dashboard(user=tutor, now=NOW)
    assert data.operations is None
    assert data.money is None
    mine = data.tutor
    assert (mine.week_start, mine.week_end) == (date(2026, 3, 9), date(2026, 3, 15))
    assert mine.week == StatusCounts(scheduled=2, completed=2, cancelled=0)
    assert [x.id for x in mine.sessions] == [s["mon"].pk, s["tue"].pk, s["wed"].pk, s["thu"].pk]
    # Wednesday 10:00 ended before noon and has no log; Thursday has not happened yet.
    assert mine.to_log == 1
    assert mine.sent_back == 1
    # 1 h on Monday + 1.5 h Tuesday + 2 h on 2 March + 1 h on 5 March (sent back, still taught).
    assert mine.hours_this_month == 5.5
    assert [(m.month, m.hours) for m in mine.hours_by_month] == [
        (date(2025, 10, 1), 0),
        (date(2025, 11, 1), 0),
        (date(2025, 12, 1), 0),
        (date(2026, 1, 1), 0),
        (date(2026, 2, 1), 1.0),
        (date(2026, 3, 1), 5.5),
    ]


def test_another_tutor_sees_only_their_own(world, other_tutor):
    mine = dashboards.dashboard(user=other_tutor, now=NOW).tutor
    assert mine.week == StatusCounts(cancelled=1)
    assert (mine.to_log, mine.sent_back, mine.hours_this_month) == (0, 0, 0)


def test_the_moderator_sees_operations_and_no_money(world, moderator, tutor, other_tutor):
    data = dashboards.dashboard(user=moderator, now=NOW)
    assert data.tutor is None
    assert data.money is None
    ops = data.operations
    assert ops.week == StatusCounts(scheduled=2, completed=2, cancelled=1)
    assert ops.unverified == 1  # Tuesday's log; the sent-back one waits for the tutor
    # March: present on 9 and 5 March, late on 10 March, absent on 2 March.
    assert (ops.present, ops.late, ops.absent, ops.attendance_rate) == (2, 1, 1, 0.75)
    assert (ops.cancellations, ops.cancellations_last_month) == (1, 1)
    # Monday 14-18 and Wednesday 9-12 (the Friday window ended on 1 March): 7 h; booked
    # 1 + 1.5 + 1 + 1 h. The other tutor has no availability.
    assert [(u.tutor, u.booked, u.available, u.share) for u in ops.tutors] == [
        (tutor, 4.5, 7.0, 0.6429)
    ]
    assert (ops.booked_hours, ops.available_hours, ops.utilisation) == (4.5, 7.0, 0.6429)
    assert ops.tutors_without_availability == 1
    # Nia never had a session; Quinn's last one that took place was in March 2025 (the
    # February one was cancelled); Pat is paused.
    assert ops.idle_count == 2
    assert [(i.student, i.last_session) for i in ops.idle] == [
        (world["never"], None),
        (world["quinn"], world["sessions"]["last_year"].start),
    ]


def test_the_admin_sees_operations_and_money(world, admin):
    data = dashboards.dashboard(user=admin, now=NOW)
    assert data.tutor is None
    assert data.operations.week == StatusCounts(scheduled=2, completed=2, cancelled=1)
    cash = data.money
    # March so far: 1 h and 2 h at 300.00; February 1 h at 300.00; March 2025 1 h at 200.00.
    assert (cash.this_month, cash.last_month, cash.same_month_last_year) == (
        Decimal("900.00"),
        Decimal("300.00"),
        Decimal("200.00"),
    )
    assert (cash.change_on_last_month, cash.change_on_last_year) == (2.0, 3.5)
    assert len(cash.by_month) == 12
    assert cash.by_month[0].month == date(2025, 4, 1)
    assert {m.month: m.amount for m in cash.by_month if m.amount} == {
        date(2026, 2, 1): Decimal("300.00"),
        date(2026, 3, 1): Decimal("900.00"),
    }
    assert cash.top_since == date(2026, 1, 1)
    assert [(t.student, t.amount) for t in cash.top_students] == [
        (world["pupil"], Decimal("1200.00"))
    ]
    assert (cash.outstanding, cash.overdue) == (Decimal(0), Decimal(0))


def test_outstanding_and_overdue_match_the_balances_page(world, admin):
    drafts = money.invoices_generate(
        actor=admin, start=date(2025, 1, 1), end=date(2026, 3, 31), per="student"
    )
    issued = [money.invoice_issue(actor=admin, invoice=d, send=False) for d in drafts]
    assert sorted(i.total for i in issued) == [Decimal("200.00"), Decimal("1200.00")]
    big = next(i for i in issued if i.total == Decimal("1200.00"))
    money.payment_record(
        actor=admin, payer=big.payer, amount="450.00", received_on=date(2026, 3, 20),
        method="eft",
    )  # fmt: skip
    small = next(i for i in issued if i != big)
    type(small).objects.filter(pk=small.pk).update(due_date=date(2026, 3, 1))
    today = small.issue_date + timedelta(days=1)
    cash = dashboards.money_dashboard(user=admin, now=NOW.replace(year=today.year,
                                      month=today.month, day=today.day))  # fmt: skip
    assert (cash.outstanding, cash.overdue) == (Decimal("950.00"), Decimal("200.00"))
    rows = finance.balances(user=admin, as_of=today)
    assert cash.outstanding == sum(r.balance for r in rows if r.balance > 0)
    assert cash.overdue == sum(r.overdue for r in rows)


@pytest.mark.parametrize("role", ["tutor", "moderator", "admin"])
def test_dashboard_queries_do_not_grow_with_the_data(
    world, people, role, book, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = people[role]
    with CaptureQueriesContext(connection) as before:
        dashboards.dashboard(user=user, now=NOW)
    for day in range(16, 28):
        book(NOW.replace(day=day, hour=8))
    with django_assert_max_num_queries(len(before.captured_queries)):
        dashboards.dashboard(user=user, now=NOW)


# --- The pages and the API show the same figures -----------------------------------------


def _figure(html: str, name: str) -> str:
    """The big number of the card `data-figure=name`."""
    card = html.split(f'data-figure="{name}"')[1]
    return card.split('class="card__value">')[1].split("</dd>")[0].replace("&nbsp;", " ")


def test_the_tutor_page_and_api(world, client, tutor, bearer, frozen):
    client.force_login(tutor)
    html = client.get("/dashboard/").content.decode()
    assert [_figure(html, f) for f in ("week-sessions", "to-log", "sent-back", "hours-month")] == [
        "4", "1", "1", "5.50"
    ]  # fmt: skip
    assert 'data-chart="hours"' in html
    assert "Palesa Pupil" in html
    # Each of the week's sessions with its status, as its label says it.
    assert html.count('status-label--completed">Completed</span>') == 2
    assert html.count('status-label--scheduled">Scheduled</span>') == 2
    assert 'data-dashboard="operations"' not in html
    # Money as the page writes it: a bare "ZAR" could be spelt by the CSRF token.
    assert "ZAR&nbsp;" not in html
    assert "(ZAR)" not in html
    body = client.get("/api/v1/reports/dashboard", **bearer(tutor)).json()
    assert body["operations"] is None
    assert body["money"] is None
    assert body["tutor"]["week"] == {"scheduled": 2, "completed": 2, "cancelled": 0, "total": 4}
    assert (body["tutor"]["to_log"], body["tutor"]["hours_this_month"]) == (1, 5.5)


def test_the_moderator_page_and_api_hold_no_money(world, client, moderator, bearer, frozen):
    client.force_login(moderator)
    html = client.get("/dashboard/").content.decode()
    figures = ("week-sessions", "unverified", "attendance", "cancellations", "utilisation", "idle")
    assert [_figure(html, f) for f in figures] == ["5", "1", "75.0 %", "1", "64.3 %", "2"]
    assert "Nia Never" in html
    assert 'data-chart="week"' in html
    for money_word in (
        "ZAR&nbsp;",
        "(ZAR)",
        "Income",
        "Outstanding",
        "300.00",
        "900.00",
        'data-chart="income"',
    ):
        assert money_word not in html
    body = client.get("/api/v1/reports/dashboard", **bearer(moderator)).json()
    assert body["money"] is None
    assert body["tutor"] is None
    assert body["operations"]["attendance_rate"] == 0.75
    assert body["operations"]["idle"][0]["name"] == "Nia Never"


def test_the_admin_page_and_api_add_money(world, client, admin, bearer, frozen):
    client.force_login(admin)
    html = client.get("/dashboard/").content.decode()
    assert _figure(html, "income-month") == "ZAR 900.00"
    assert _figure(html, "outstanding") == "ZAR 0.00"
    assert 'data-chart="income"' in html
    assert 'data-chart="week"' in html
    assert "Palesa Pupil" in html  # the top student
    money = client.get("/api/v1/reports/dashboard", **bearer(admin)).json()["money"]
    assert (money["this_month"], money["last_month"], money["same_month_last_year"]) == (
        "900.00", "300.00", "200.00"
    )  # fmt: skip
    assert money["top_students"] == [
        {"student_id": world["pupil"].pk, "name": "Palesa Pupil", "amount": "1200.00"}
    ]


@pytest.mark.parametrize(("role", "ceiling"), [("tutor", 14), ("moderator", 18), ("admin", 22)])
def test_the_dashboard_page_costs_a_fixed_number_of_queries(
    world, client, people, role, ceiling, django_assert_max_num_queries, frozen
):
    client.force_login(people[role])
    with django_assert_max_num_queries(ceiling):
        assert client.get("/dashboard/").status_code == 200


def test_anonymous_people_are_sent_to_sign_in(client, bearer):
    assert client.get("/dashboard/").status_code == 302
    assert client.get("/api/v1/reports/dashboard").status_code == 401


def test_a_tutors_week_lists_each_sessions_students_by_name(
    world, client, tutor, bearer, frozen, book
):
    s = world["sessions"]
    # A second student whose surname sorts before the first: names come in name order.
    from tests.students.conftest import StudentFactory

    early = StudentFactory(first_name="Zoe", last_name="Adams", tutors=[tutor])
    s["mon"].students.add(early, through_defaults={"start": s["mon"].start, "end": s["mon"].end})
    body = client.get("/api/v1/reports/dashboard", **bearer(tutor)).json()["tutor"]
    rows = {row["id"]: row["students"] for row in body["sessions"]}
    assert rows[s["mon"].pk] == ["Zoe Adams", "Palesa Pupil"]
    assert rows[s["tue"].pk] == ["Palesa Pupil"]


def test_the_least_used_tutors_are_the_first_ten_by_share_then_by_id():
    from tests.factories import UserFactory
    from tracker.accounts.models import Role

    tutors = [UserFactory(role=Role.TUTOR) for _ in range(12)]
    # Shares: 0.5 for the first four (a tie, so by id), then rising.
    rows = [(t.pk, 2.0, 4.0) for t in tutors[:4]]
    rows += [(t.pk, float(i), 10.0) for i, t in enumerate(tutors[4:], start=6)]
    listed = dashboards._least_used(rows)
    assert [u.tutor for u in listed] == tutors[:10]
    assert [u.share for u in listed] == [0.5] * 4 + [0.6, 0.7, 0.8, 0.9, 1.0, 1.1]
    # A tutor deleted after their hours were read is left out, not a 500.
    gone = (max(t.pk for t in tutors) + 1000, 0.0, 5.0)
    assert [u.tutor for u in dashboards._least_used([gone, *rows])] == tutors[:9]


@pytest.mark.parametrize("role", ["tutor", "moderator", "admin"])
def test_the_api_writes_the_dashboard_as_ninja_writes_its_schema(world, role, request):
    """The view and the cached-read middleware answer with `dashboard_body`, not through
    ninja's response handling: the bytes are still those ninja writes for DashboardOut."""
    data = dashboards.dashboard(user=request.getfixturevalue(role), now=NOW)
    router = Router()

    @router.get("/", response=reports_api.DashboardOut)
    def through_ninja(request):
        return reports_api.dashboard_out(data)

    assert TestClient(router).get("/").content == reports_api.dashboard_body(data)
