"""/api/v1/.../availability and /time-off for students, tutors and the signed-in tutor."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.students.conftest import StudentFactory
from tracker.audit.models import AuditLog
from tracker.students.models import AvailabilityWindow, TimeOff, Weekday

pytestmark = pytest.mark.django_db

API = "/api/v1"
ZONE = ZoneInfo("Africa/Johannesburg")
WINDOW = {"weekday": 0, "start": "14:00", "end": "16:00"}
TIME_OFF = {"starts_at": "2030-07-01T08:00:00+02:00", "ends_at": "2030-07-02T17:00:00+02:00"}
ROLES = ("admin", "moderator", "tutor", "other_tutor", "anonymous")

# (endpoint, method): statuses for admin, moderator, tutor, other tutor, anonymous.
STUDENT = {
    ("windows", "get"): (200, 200, 200, 404, 401),
    ("windows", "post"): (201, 201, 403, 404, 401),
    ("window", "patch"): (200, 200, 403, 404, 401),
    ("window", "delete"): (204, 204, 403, 404, 401),
    ("time-off", "get"): (200, 200, 200, 404, 401),
    ("time-off", "post"): (201, 201, 403, 404, 401),
    ("one-time-off", "delete"): (204, 204, 403, 404, 401),
}
# The owner is the tutor: they keep their own, managers keep any tutor's, others see nothing.
TUTOR = {
    ("windows", "get"): (200, 200, 200, 404, 401),
    ("windows", "post"): (201, 201, 201, 404, 401),
    ("window", "patch"): (200, 200, 200, 404, 401),
    ("window", "delete"): (204, 204, 204, 404, 401),
    ("time-off", "get"): (200, 200, 200, 404, 401),
    ("time-off", "post"): (201, 201, 201, 404, 401),
    ("one-time-off", "delete"): (204, 204, 204, 404, 401),
}


def table(expected: dict) -> list[tuple[str, str, str, int]]:
    return [
        (endpoint, method, role, status)
        for (endpoint, method), statuses in expected.items()
        for role, status in zip(ROLES, statuses, strict=True)
    ]


def path(base: str, endpoint: str, window: AvailabilityWindow, time_off: TimeOff) -> str:
    return {
        "windows": f"{base}/availability",
        "window": f"{base}/availability/{window.pk}",
        "time-off": f"{base}/time-off",
        "one-time-off": f"{base}/time-off/{time_off.pk}",
    }[endpoint]


def call(client, method: str, url: str, headers: dict[str, str], body: dict | None = None):
    if method in {"post", "patch"}:
        return getattr(client, method)(url, body, content_type="application/json", **headers)
    return getattr(client, method)(url, **headers)


def body_for(endpoint: str, method: str) -> dict | None:
    if method == "post":
        return {**WINDOW, "weekday": 2} if endpoint == "windows" else TIME_OFF
    if method == "patch":
        return {"end": "17:00"}
    return None


def as_role(request, bearer, role: str) -> dict[str, str]:
    return {} if role == "anonymous" else bearer(request.getfixturevalue(role))


def arrange(owner_field: str, owner) -> tuple[AvailabilityWindow, TimeOff]:
    window = AvailabilityWindow.objects.create(
        **{owner_field: owner}, weekday=Weekday.MONDAY, start=time(14), end=time(16)
    )
    starts_at = timezone.now() + timedelta(days=3)
    time_off = TimeOff.objects.create(
        **{owner_field: owner}, starts_at=starts_at, ends_at=starts_at + timedelta(hours=4)
    )
    return window, time_off


@pytest.mark.parametrize(("endpoint", "method", "role", "status"), table(STUDENT))
def test_student_access(request, client, bearer, assigned, endpoint, method, role, status):
    window, time_off = arrange("student", assigned)
    url = path(f"{API}/students/{assigned.pk}", endpoint, window, time_off)

    response = call(client, method, url, as_role(request, bearer, role), body_for(endpoint, method))

    assert response.status_code == status, response.content
    if status >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert AvailabilityWindow.objects.get(pk=window.pk).end == time(16)
        assert TimeOff.objects.filter(pk=time_off.pk).exists()


@pytest.mark.parametrize(("endpoint", "method", "role", "status"), table(TUTOR))
def test_tutor_access(request, client, bearer, tutor, endpoint, method, role, status):
    window, time_off = arrange("tutor", tutor)
    url = path(f"{API}/users/{tutor.pk}", endpoint, window, time_off)

    response = call(client, method, url, as_role(request, bearer, role), body_for(endpoint, method))

    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["id"] in {
            *AvailabilityWindow.objects.filter(tutor=tutor).values_list("pk", flat=True),
            *TimeOff.objects.filter(tutor=tutor).values_list("pk", flat=True),
        }


@pytest.mark.parametrize(
    ("endpoint", "method", "status"),
    [
        ("windows", "get", 200),
        ("windows", "post", 201),
        ("window", "patch", 200),
        ("window", "delete", 204),
        ("time-off", "get", 200),
        ("time-off", "post", 201),
        ("one-time-off", "delete", 204),
    ],
)
def test_a_tutor_keeps_their_own_under_me(client, bearer, tutor, endpoint, method, status):
    window, time_off = arrange("tutor", tutor)
    url = path(f"{API}/me", endpoint, window, time_off)

    response = call(client, method, url, bearer(tutor), body_for(endpoint, method))

    assert response.status_code == status, response.content
    assert call(client, method, url, {}, body_for(endpoint, method)).status_code == 401


def test_me_answers_404_for_another_tutors_window(client, bearer, tutor, other_tutor):
    window, time_off = arrange("tutor", other_tutor)
    headers = bearer(tutor)
    assert client.delete(f"{API}/me/availability/{window.pk}", **headers).status_code == 404
    assert client.delete(f"{API}/me/time-off/{time_off.pk}", **headers).status_code == 404
    assert AvailabilityWindow.objects.filter(pk=window.pk).exists()


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_only_tutors_keep_availability(request, client, bearer, admin, role):
    person = request.getfixturevalue(role)
    response = client.get(f"{API}/me/availability", **bearer(person))
    assert response.status_code == 409
    assert response.json()["detail"] == "Only tutors keep availability."
    # An admin manages every account, so a moderator's is in scope but still not a tutor's.
    response = client.post(
        f"{API}/users/{person.pk}/time-off",
        TIME_OFF,
        content_type="application/json",
        **bearer(admin),
    )
    assert response.status_code == 409


def test_a_moderator_cannot_see_an_admins_availability(client, bearer, moderator, admin):
    assert (
        client.get(f"{API}/users/{admin.pk}/availability", **bearer(moderator)).status_code == 404
    )


def test_a_window_is_reached_only_through_its_own_owner(client, bearer, moderator, assigned):
    window, time_off = arrange("student", StudentFactory())
    headers = bearer(moderator)
    base = f"{API}/students/{assigned.pk}"
    assert client.delete(f"{base}/availability/{window.pk}", **headers).status_code == 404
    assert client.delete(f"{base}/time-off/{time_off.pk}", **headers).status_code == 404
    response = client.patch(
        f"{base}/availability/{window.pk}",
        {"end": "18:00"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 404


def test_a_tutor_reads_an_unassigned_student_as_404(client, bearer, tutor, unassigned):
    response = client.get(f"{API}/students/{unassigned.pk}/availability", **bearer(tutor))
    assert response.status_code == 404


def test_listing_shows_windows_in_week_order(client, bearer, moderator, assigned):
    base = f"{API}/students/{assigned.pk}/availability"
    headers = bearer(moderator)
    for weekday, start, end in [
        (4, "09:00", "10:00"),
        (0, "16:00", "17:00"),
        (0, "08:00", "09:30"),
    ]:
        payload = {"weekday": weekday, "start": start, "end": end}
        assert (
            client.post(base, payload, content_type="application/json", **headers).status_code
            == 201
        )

    rows = client.get(base, **headers).json()

    assert [(row["weekday"], row["start"]) for row in rows] == [
        (0, "08:00:00"),
        (0, "16:00:00"),
        (4, "09:00:00"),
    ]
    assert rows[0].keys() == {"id", "weekday", "start", "end", "valid_from", "valid_to"}


def test_creating_answers_201_with_the_window_and_audits_it(client, bearer, moderator, assigned):
    payload = {**WINDOW, "valid_from": "2030-01-01", "valid_to": "2030-06-30"}
    response = client.post(
        f"{API}/students/{assigned.pk}/availability",
        payload,
        content_type="application/json",
        **bearer(moderator),
    )

    assert response.status_code == 201
    body = response.json()
    assert body["valid_to"] == "2030-06-30"
    window = AvailabilityWindow.objects.get(pk=body["id"])
    assert window.student == assigned
    entry = AuditLog.objects.order_by("-id").first()
    assert entry.action == "students.availability.added"
    assert entry.target_id == str(assigned.pk)


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({**WINDOW, "start": "16:00", "end": "15:00"}, "end", "Must be later than the start."),
        (
            {**WINDOW, "start": "15:00", "end": "17:00"},
            "start",
            "This overlaps Monday 14:00–16:00.",
        ),
        (
            {**WINDOW, "weekday": 1, "valid_from": "2030-02-01", "valid_to": "2030-01-01"},
            "valid_to",
            "Must not be before “valid from”.",
        ),
        ({**WINDOW, "weekday": 7}, "weekday", "Input should be less than or equal to 6"),
        ({"weekday": 0, "start": "14:00"}, "end", "Field required"),
    ],
)
def test_invalid_windows_are_422_with_field_errors(
    client, bearer, moderator, assigned, payload, field, message
):
    arrange("student", assigned)
    response = client.post(
        f"{API}/students/{assigned.pk}/availability",
        payload,
        content_type="application/json",
        **bearer(moderator),
    )

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [(e["field"], e["message"]) for e in errors] == [(field, message)]
    assert AvailabilityWindow.objects.count() == 1


def test_patch_changes_only_what_is_sent_and_can_clear_a_bound(client, bearer, tutor):
    window = AvailabilityWindow.objects.create(
        tutor=tutor, weekday=2, start=time(9), end=time(12), valid_to=date(2030, 1, 1)
    )
    url = f"{API}/me/availability/{window.pk}"

    response = client.patch(
        url, {"end": "13:00", "valid_to": None}, content_type="application/json", **bearer(tutor)
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": window.pk,
        "weekday": 2,
        "start": "09:00:00",
        "end": "13:00:00",
        "valid_from": None,
        "valid_to": None,
    }
    response = client.patch(url, {"start": None}, content_type="application/json", **bearer(tutor))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "start"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"starts_at": "2030-07-01T08:00:00", "ends_at": "2030-07-02T08:00:00+02:00"}, "starts_at"),
        (
            {"starts_at": "2030-07-02T08:00:00+02:00", "ends_at": "2030-07-01T08:00:00+02:00"},
            "ends_at",
        ),
        ({"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2031-01-03T00:00:00Z"}, "ends_at"),
        ({**TIME_OFF, "reason": "x" * 201}, "reason"),
    ],
)
def test_invalid_time_off_is_422(client, bearer, tutor, payload, field):
    response = client.post(
        f"{API}/me/time-off", payload, content_type="application/json", **bearer(tutor)
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not TimeOff.objects.exists()


def test_time_off_lists_upcoming_unless_past_is_asked_for(client, bearer, moderator, tutor):
    now = timezone.now()
    TimeOff.objects.create(
        tutor=tutor, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )
    upcoming = TimeOff.objects.create(
        tutor=tutor,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
        reason="Exam",
    )
    url = f"{API}/users/{tutor.pk}/time-off"

    rows = client.get(url, **bearer(moderator)).json()
    everything = client.get(f"{url}?include_past=true", **bearer(moderator)).json()

    assert [row["id"] for row in rows] == [upcoming.pk]
    assert rows[0]["reason"] == "Exam"
    assert len(everything) == 2


def test_created_time_off_keeps_its_instant(client, bearer, tutor):
    response = client.post(
        f"{API}/me/time-off", TIME_OFF, content_type="application/json", **bearer(tutor)
    )

    assert response.status_code == 201
    stored = TimeOff.objects.get(pk=response.json()["id"])
    assert stored.starts_at == datetime(2030, 7, 1, 8, tzinfo=ZONE)
    assert stored.tutor == tutor
