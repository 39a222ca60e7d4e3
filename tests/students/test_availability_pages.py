"""The availability pages and their htmx section: access, forms, errors, query counts."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.students.models import AvailabilityWindow, StudentStatus, TimeOff, Weekday

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ZONE = ZoneInfo("Africa/Johannesburg")
ROLES = ("admin", "moderator", "tutor", "other_tutor", "anonymous")
WINDOW = {"weekday": "0", "start": "14:00", "end": "16:00"}
TIME_OFF = {"starts_at": "2030-07-01T08:00", "ends_at": "2030-07-01T12:00", "reason": "Exam"}

# (url, method): statuses for admin, moderator, tutor, other tutor, anonymous. The tutor is
# assigned to the student; the student's and the tutor's things are the targets.
EXPECTED = {
    ("student-page", "get"): (200, 200, 200, 404, 302),
    ("tutor-page", "get"): (200, 200, 200, 404, 302),
    ("mine", "get"): (409, 409, 200, 200, 302),
    ("student-window-add", "post"): (302, 302, 403, 404, 302),
    ("student-window-remove", "post"): (302, 302, 403, 404, 302),
    ("student-time-off-add", "post"): (302, 302, 403, 404, 302),
    ("student-time-off-remove", "post"): (302, 302, 403, 404, 302),
    ("tutor-window-add", "post"): (302, 302, 302, 404, 302),
    ("tutor-window-remove", "post"): (302, 302, 302, 404, 302),
    ("tutor-time-off-add", "post"): (302, 302, 302, 404, 302),
    ("tutor-time-off-remove", "post"): (302, 302, 302, 404, 302),
}
ACCESS = [
    (name, method, role, status)
    for (name, method), statuses in EXPECTED.items()
    for role, status in zip(ROLES, statuses, strict=True)
]


def arrange(owner_field: str, owner) -> tuple[AvailabilityWindow, TimeOff]:
    window = AvailabilityWindow.objects.create(
        **{owner_field: owner}, weekday=Weekday.TUESDAY, start=time(9), end=time(10)
    )
    starts_at = timezone.now() + timedelta(days=2)
    time_off = TimeOff.objects.create(
        **{owner_field: owner}, starts_at=starts_at, ends_at=starts_at + timedelta(hours=3)
    )
    return window, time_off


def urls_for(student, tutor) -> dict[str, tuple[str, dict | None]]:
    s_window, s_off = arrange("student", student)
    t_window, t_off = arrange("tutor", tutor)
    return {
        "student-page": (reverse("availability:student", args=[student.pk]), None),
        "tutor-page": (reverse("availability:tutor", args=[tutor.pk]), None),
        "mine": (reverse("availability:mine"), None),
        "student-window-add": (
            reverse("availability:window-add", args=["student", student.pk]),
            WINDOW,
        ),
        "student-window-remove": (
            reverse("availability:window-remove", args=[s_window.pk]),
            {},
        ),
        "student-time-off-add": (
            reverse("availability:time-off-add", args=["student", student.pk]),
            TIME_OFF,
        ),
        "student-time-off-remove": (
            reverse("availability:time-off-remove", args=[s_off.pk]),
            {},
        ),
        "tutor-window-add": (reverse("availability:window-add", args=["tutor", tutor.pk]), WINDOW),
        "tutor-window-remove": (reverse("availability:window-remove", args=[t_window.pk]), {}),
        "tutor-time-off-add": (
            reverse("availability:time-off-add", args=["tutor", tutor.pk]),
            TIME_OFF,
        ),
        "tutor-time-off-remove": (reverse("availability:time-off-remove", args=[t_off.pk]), {}),
    }


@pytest.fixture
def as_moderator(client, moderator):
    client.force_login(moderator)
    return client


def student_page(student) -> str:
    return reverse("availability:student", args=[student.pk])


def add_window_url(student) -> str:
    return reverse("availability:window-add", args=["student", student.pk])


@pytest.mark.parametrize(("name", "method", "role", "status"), ACCESS)
def test_access(request, client, tutor, assigned, name, method, role, status):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    url, data = urls_for(assigned, tutor)[name]

    response = getattr(client, method)(url, data)

    assert response.status_code == status
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/?next=")
    if status == 403:
        assert AvailabilityWindow.objects.count() == 2
        assert TimeOff.objects.count() == 2


@pytest.mark.parametrize(
    "name",
    [
        "student-window-add",
        "student-window-remove",
        "student-time-off-add",
        "student-time-off-remove",
    ],
)
def test_changes_refuse_get(as_moderator, tutor, assigned, name):
    url, _ = urls_for(assigned, tutor)[name]
    assert as_moderator.get(url).status_code == 405


def test_pages_refuse_post(as_moderator, assigned):
    assert as_moderator.post(student_page(assigned)).status_code == 405


def test_unknown_owner_kinds_and_ids_are_404(as_moderator):
    assert as_moderator.post(reverse("availability:window-add", args=["pet", 1])).status_code == 404
    assert (
        as_moderator.post(reverse("availability:window-add", args=["student", 999_999])).status_code
        == 404
    )
    assert (
        as_moderator.post(reverse("availability:window-remove", args=[999_999])).status_code == 404
    )


def test_a_non_tutor_account_has_no_availability_page(client, admin, moderator):
    client.force_login(admin)
    response = client.get(reverse("availability:tutor", args=[moderator.pk]))
    assert response.status_code == 409
    assert "Only tutors keep availability." in response.content.decode()


def test_the_page_lists_windows_under_their_day_and_upcoming_time_off(as_moderator, assigned):
    AvailabilityWindow.objects.create(
        student=assigned, weekday=Weekday.MONDAY, start=time(14), end=time(16)
    )
    now = timezone.now()
    TimeOff.objects.create(
        student=assigned, starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=2)
    )
    TimeOff.objects.create(
        student=assigned,
        starts_at=datetime(2030, 7, 1, 8, tzinfo=ZONE),
        ends_at=datetime(2030, 7, 3, 17, tzinfo=ZONE),
        reason="School trip",
    )

    response = as_moderator.get(student_page(assigned))

    html = response.content.decode()
    section = f"availability-student-{assigned.pk}"
    assert f'aria-labelledby="{section}-day-0"' in html
    assert "14:00–16:00" in html
    assert "Mon 1 Jul 2030, 08:00 – Wed 3 Jul 2030, 17:00" in html
    assert "School trip" in html
    assert html.count(">Remove<") == 2  # the window and the upcoming time off, not the past
    assert "css/availability.css" in html


def test_a_tutor_sees_their_students_availability_without_forms(client, tutor, assigned):
    AvailabilityWindow.objects.create(
        student=assigned, weekday=Weekday.MONDAY, start=time(14), end=time(16)
    )
    client.force_login(tutor)

    html = client.get(student_page(assigned)).content.decode()

    assert "14:00–16:00" in html
    assert "Remove" not in html
    assert "Add a weekly window" not in html


def test_an_archived_students_availability_is_read_only(client, moderator):
    student = StudentFactory(status=StudentStatus.ARCHIVED)
    client.force_login(moderator)

    html = client.get(student_page(student)).content.decode()
    response = client.post(add_window_url(student), WINDOW)

    assert "Add a weekly window" not in html
    assert response.status_code == 409
    assert not AvailabilityWindow.objects.exists()


def test_my_page_is_a_tutors_own(client, tutor):
    client.force_login(tutor)
    response = client.get(reverse("availability:mine"))
    html = response.content.decode()
    assert "My availability" in html
    assert f'id="availability-tutor-{tutor.pk}"' in html
    assert "Add time off" in html


def test_htmx_gets_the_section_back_with_the_new_window(as_moderator, assigned):
    response = as_moderator.post(add_window_url(assigned), WINDOW, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<section id="availability-student-{assigned.pk}"')
    assert "<html" not in html
    assert "Monday 14:00–16:00 added." in html
    assert AvailabilityWindow.objects.get(student=assigned).start == time(14)


def test_a_plain_post_goes_back_to_next_or_to_the_owners_page(as_moderator, assigned):
    detail = reverse("students:detail", args=[assigned.pk])
    back = as_moderator.post(add_window_url(assigned), {**WINDOW, "next": detail})
    elsewhere = as_moderator.post(
        add_window_url(assigned),
        {**WINDOW, "weekday": "1", "next": "https://evil.example/"},
    )

    assert back.status_code == 302
    assert back["Location"] == detail
    assert elsewhere["Location"] == student_page(assigned)
    assert AvailabilityWindow.objects.filter(student=assigned).count() == 2


def test_an_overlap_is_shown_next_to_the_field(as_moderator, assigned):
    AvailabilityWindow.objects.create(
        student=assigned, weekday=Weekday.MONDAY, start=time(14), end=time(16)
    )

    response = as_moderator.post(add_window_url(assigned), {**WINDOW, "start": "15:00"}, **HTMX)

    html = response.content.decode()
    field_id = f"availability-student-{assigned.pk}-start"
    assert response.status_code == 200
    assert "This overlaps Monday 14:00–16:00." in html
    assert f'id="{field_id}_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="15:00"' in html  # what was typed stays, to correct it
    assert AvailabilityWindow.objects.count() == 1


def test_invalid_input_without_js_shows_the_page_with_errors(as_moderator, assigned):
    detail = reverse("students:detail", args=[assigned.pk])
    response = as_moderator.post(
        add_window_url(assigned),
        {"weekday": "9", "start": "16:00", "end": "", "next": detail},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Select a valid choice." in html
    assert "This field is required." in html
    assert f'name="next" value="{detail}"' in html
    assert not AvailabilityWindow.objects.exists()


def test_end_before_start_is_a_field_error(as_moderator, assigned):
    response = as_moderator.post(
        add_window_url(assigned), {**WINDOW, "start": "16:00", "end": "15:00"}, **HTMX
    )
    assert "Must be later than the start." in response.content.decode()
    assert not AvailabilityWindow.objects.exists()


def test_time_off_is_entered_in_local_time_and_stored_aware(client, tutor):
    client.force_login(tutor)
    url = reverse("availability:time-off-add", args=["tutor", tutor.pk])

    response = client.post(url, TIME_OFF, **HTMX)

    assert "Time off added." in response.content.decode()
    stored = TimeOff.objects.get(tutor=tutor)
    assert stored.starts_at == datetime(2030, 7, 1, 8, tzinfo=ZONE)
    assert stored.reason == "Exam"


def test_time_off_errors_are_shown_on_their_fields(client, tutor):
    client.force_login(tutor)
    url = reverse("availability:time-off-add", args=["tutor", tutor.pk])

    response = client.post(
        url, {"starts_at": "2030-07-01T08:00", "ends_at": "2030-07-01T07:00"}, **HTMX
    )

    html = response.content.decode()
    assert f'id="availability-tutor-{tutor.pk}-ends_at_error"' in html
    assert "Must be later than the start." in html
    assert not TimeOff.objects.exists()


def test_removing_with_htmx_answers_the_section_without_it(client, tutor):
    window, time_off = arrange("tutor", tutor)
    client.force_login(tutor)

    first = client.post(reverse("availability:window-remove", args=[window.pk]), **HTMX)
    second = client.post(reverse("availability:time-off-remove", args=[time_off.pk]), **HTMX)

    assert "Tuesday 09:00–10:00 removed." in first.content.decode()
    assert "09:00–10:00" not in second.content.decode()
    assert "Time off removed." in second.content.decode()
    assert not AvailabilityWindow.objects.exists()
    assert not TimeOff.objects.exists()


def test_a_tutor_cannot_remove_another_tutors_window(client, tutor, other_tutor):
    window, _ = arrange("tutor", other_tutor)
    client.force_login(tutor)
    response = client.post(reverse("availability:window-remove", args=[window.pk]))
    assert response.status_code == 404
    assert AvailabilityWindow.objects.filter(pk=window.pk).exists()


def test_a_moderator_keeps_a_tutors_availability(as_moderator, tutor):
    response = as_moderator.post(
        reverse("availability:window-add", args=["tutor", tutor.pk]), WINDOW, **HTMX
    )
    assert "Monday 14:00–16:00 added." in response.content.decode()
    assert AvailabilityWindow.objects.get().tutor == tutor


def many(owner_field: str, owner, count: int) -> None:
    start = timezone.now() + timedelta(days=1)
    for n in range(count):
        AvailabilityWindow.objects.create(
            **{owner_field: owner}, weekday=n % 7, start=time(n // 7 + 6), end=time(n // 7 + 7)
        )
        TimeOff.objects.create(
            **{owner_field: owner},
            starts_at=start + timedelta(days=n),
            ends_at=start + timedelta(days=n, hours=2),
        )


@pytest.mark.parametrize("role", ["moderator", "tutor"])
def test_the_student_page_query_count_does_not_grow_with_entries(
    request, client, django_assert_max_num_queries, assigned, role
):
    many("student", assigned, 30)
    client.force_login(request.getfixturevalue(role))

    # Session, user, the student, windows, time off (+ savepoints), the bell's unread count:
    # none per entry.
    with django_assert_max_num_queries(11):
        response = client.get(student_page(assigned))

    assert response.content.decode().count("availability-slot__time") == 60


def test_the_section_query_count_does_not_grow_with_entries(
    client, django_assert_max_num_queries, tutor
):
    many("tutor", tutor, 30)
    client.force_login(tutor)
    url = reverse("availability:window-add", args=["tutor", tutor.pk])

    # The write (lock, overlap check, insert, audit), then the section's two lists.
    with django_assert_max_num_queries(18):
        response = client.post(url, {**WINDOW, "start": "05:00", "end": "06:00"}, **HTMX)

    assert response.content.decode().count("availability-slot__time") == 61


def test_a_manager_sees_an_inactive_tutors_availability_read_only(as_moderator):
    former = UserFactory(role=Role.TUTOR, is_active=False)
    arrange("tutor", former)

    html = as_moderator.get(reverse("availability:tutor", args=[former.pk])).content.decode()

    assert "09:00–10:00" in html
    assert "Add a weekly window" not in html
