"""An administrator browses the audit trail and narrows it with the filter form."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.factories import UserFactory
from tracker.accounts.models import Role
from tracker.audit.services import record


@pytest.fixture
def signed_in_admin(visit, live_server, transactional_db):
    admin = UserFactory(username="boss", role=Role.ADMIN)
    # No sign-in page yet: borrow a session made by Django's test client.
    client = Client()
    client.force_login(admin)
    visit.page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return admin


def test_admin_filters_the_audit_trail_by_action(visit, signed_in_admin):
    record(
        "students.student.created",
        actor=signed_in_admin,
        target_type="students.student",
        target_id=5,
        changes={"name": "Thandi"},
    )
    record(
        "finance.invoice.voided",
        actor=signed_in_admin,
        target_type="finance.invoice",
        target_id=9,
        changes={"status": ["issued", "void"]},
    )
    visit.goto("/audit/")
    page = visit.page
    table = page.get_by_role("table")
    expect(page.get_by_role("heading", level=1, name="Audit trail")).to_be_visible()
    expect(table.get_by_text("finance.invoice.voided")).to_be_visible()
    expect(table.get_by_text("students.student.created")).to_be_visible()

    # Survives an htmx swap, not a page load: proves the table was updated in place.
    page.evaluate("window.auditPageMarker = true")
    page.get_by_label("Action").fill("finance.")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"action=finance\."))
    expect(table.get_by_text("students.student.created")).to_have_count(0)
    expect(table.get_by_text("finance.invoice.voided")).to_be_visible()
    expect(table.get_by_text("issued → void")).to_be_visible()
    assert page.evaluate("window.auditPageMarker") is True
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    visit.check("audit")
