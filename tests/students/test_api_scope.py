"""What each role sees of a student through the API."""

from __future__ import annotations

import pytest

from tracker.students.models import CONTACT_FIELDS, MONEY_FIELDS

pytestmark = pytest.mark.django_db

PII = set(CONTACT_FIELDS)
MONEY = set(MONEY_FIELDS)


def test_a_tutor_lists_exactly_their_assigned_students_without_pii_or_rates(
    client, tutor, assigned, unassigned, bearer
):
    response = client.get("/api/v1/students", **bearer(tutor))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [assigned.pk]
    assert not (PII | MONEY | {"tutors"}) & rows[0].keys()
    assert "+27 82" not in response.content.decode()


def test_a_tutor_opening_another_tutors_student_gets_404(client, tutor, unassigned, bearer):
    assert client.get(f"/api/v1/students/{unassigned.pk}", **bearer(tutor)).status_code == 404


def test_a_moderator_sees_contact_details_but_no_rate(client, moderator, assigned, bearer):
    body = client.get(f"/api/v1/students/{assigned.pk}", **bearer(moderator)).json()
    assert body["phone"] == "+27 82 123 4567"
    assert body.keys() >= PII
    assert not MONEY & body.keys()


def test_an_admin_sees_everything(client, admin, assigned, bearer):
    body = client.get(f"/api/v1/students/{assigned.pk}", **bearer(admin)).json()
    assert body.keys() >= PII | MONEY
    assert body["default_rate"] == "350.00"
