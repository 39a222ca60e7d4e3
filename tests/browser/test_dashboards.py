"""Each role's dashboard and a report in the browser, at phone and desktop size: the charts
are drawn, their figures open as a table, and the pages pass axe."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_finance import fits_the_screen
from tests.browser.test_signin import sign_in
from tests.finance.conftest import book, last_month, maths, priced, pupil, verified  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def business(request):
    """A verified session last month (income, hours taught) and one later today (this
    week's sessions). Fixtures are looked up by name, from tests/finance."""
    request.getfixturevalue("priced")
    request.getfixturevalue("verified")(request.getfixturevalue("last_month"), minutes=90)
    today = timezone.localdate()
    late = timezone.make_aware(datetime.combine(today, time(22)))
    request.getfixturevalue("book")(late, minutes=60)


def open_dashboard(visit, username: str) -> None:
    sign_in(visit, username)
    visit.page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(visit.page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def see_chart(visit, slug: str) -> None:
    """The chart is drawn with bars, and its figures open as a table."""
    page = visit.page
    chart = page.locator(f'svg[data-chart="{slug}"]')
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() >= 1
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 200
    assert box["height"] > 60
    figure = page.locator("figure.chart").filter(has=chart)
    figure.get_by_text("Show the figures as a table").click()
    expect(figure.locator("table")).to_be_visible()


def test_a_tutor_sees_their_week_and_hours(visit, database, tutor, business):
    open_dashboard(visit, "tutor")
    page = visit.page
    expect(page.locator('[data-figure="week-sessions"] .card__value')).to_have_text("1")
    expect(page.get_by_role("cell", name="Palesa Pupil")).to_be_visible()
    see_chart(visit, "hours")
    assert page.locator('[data-dashboard="operations"]').count() == 0
    visit.check("tutor-dashboard")
    fits_the_screen(visit)


def test_a_moderator_sees_operations_without_money_and_runs_a_report(
    visit, database, moderator, business
):
    open_dashboard(visit, "moderator")
    page = visit.page
    expect(page.locator('[data-figure="week-sessions"] .card__value')).to_have_text("1")
    see_chart(visit, "week")
    assert page.locator('[data-dashboard="money"]').count() == 0
    expect(page.locator("main")).not_to_contain_text("ZAR")
    visit.check("moderator-dashboard")
    fits_the_screen(visit)

    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("link", name="Sessions and attendance").click()
    first = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    page.get_by_label("From").fill(first.isoformat())
    page.get_by_role("button", name="Show").click()
    # The results are swapped in place: wait for the new period, not the table already there.
    expect(page.locator("#report-results .hint")).to_contain_text(f"{first.day} {first:%b %Y}")
    expect(page.locator("[data-report-table] tfoot")).to_contain_text("Total")
    see_chart(visit, "report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Spreadsheet (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    visit.check("sessions-report")
    fits_the_screen(visit)


def test_an_admin_sees_money_too(visit, database, admin, business):
    open_dashboard(visit, "admin")
    page = visit.page
    see_chart(visit, "week")
    see_chart(visit, "income")
    expect(page.locator('[data-figure="income-month"]')).to_contain_text("ZAR")
    top = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Top students")))
    expect(top.get_by_role("link", name="Palesa Pupil")).to_be_visible()
    visit.check("admin-dashboard")
    fits_the_screen(visit)
