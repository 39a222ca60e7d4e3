"""A tutor makes their private calendar link and a calendar app can read it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_signin import sign_in
from tests.factories import UserFactory
from tracker.accounts.models import Role
from tracker.scheduling.models import Session


def test_tutor_creates_a_calendar_link_that_serves_their_sessions(visit):
    tutor = UserFactory(username="subscriber", role=Role.TUTOR)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    session = Session.objects.create(tutor=tutor, start=start, end=start + timedelta(hours=1))
    sign_in(visit, "subscriber")
    expect(visit.page.get_by_role("navigation", name="Main")).to_be_visible()

    visit.goto("/calendar/subscribe/")
    expect(visit.page.get_by_text("You have no calendar link yet.")).to_be_visible()
    visit.check("no-link")

    visit.page.get_by_role("button", name="Create link").click()
    expect(visit.page.get_by_role("status")).to_contain_text("Your calendar link is ready.")
    address = visit.page.get_by_label("Subscription address")
    expect(address).to_have_attribute("readonly", "")
    url = address.input_value()
    assert url.startswith(visit.page.url.split("/calendar/")[0] + "/calendar/ics/")
    visit.check("link")

    response = visit.page.request.get(url)
    assert response.ok
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    body = response.text()
    assert body.startswith("BEGIN:VCALENDAR")
    assert f"UID:session-{session.pk}@students-tracker" in body

    visit.page.get_by_role("button", name="Revoke and make a new link").click()
    expect(visit.page.get_by_role("status")).to_contain_text("The old link no longer works.")
    assert visit.page.get_by_label("Subscription address").input_value() != url
    assert visit.page.request.get(url).status == 404
    visit.check("renewed")
