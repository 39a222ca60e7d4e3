"""/api/v1/students: who may do what, filters, pagination, validation."""

from __future__ import annotations

import pytest

from tests.factories import SchoolFactory
from tests.students.conftest import StudentFactory
from tracker.students.models import Student, StudentStatus

pytestmark = pytest.mark.django_db


def call(client, method, url, headers, body=None):
    kwargs = {"content_type": "application/json"} if body is not None else {}
    return getattr(client, method)(url, body, **kwargs, **headers)


# (role, method, path, body) → status; {a} is the tutor's assigned student, {u} another one.
ACCESS = [
    ("anonymous", "get", "", None, 401),
    ("tutor", "get", "", None, 200),
    ("tutor", "get", "/{a}", None, 200),
    ("tutor", "get", "/{u}", None, 404),
    ("tutor", "post", "", {"first_name": "A", "last_name": "B"}, 403),
    ("tutor", "patch", "/{a}", {"grade": "X"}, 403),
    ("tutor", "delete", "/{a}", None, 403),
    ("moderator", "post", "", {"first_name": "A", "last_name": "B"}, 201),
    ("moderator", "post", "", {"first_name": "A", "last_name": "B", "default_rate": "9"}, 403),
    ("moderator", "patch", "/{u}", {"grade": "X"}, 200),
    ("moderator", "patch", "/{u}", {"status": "paused"}, 200),
    ("moderator", "delete", "/{u}", None, 403),
    ("moderator", "post", "/{u}/erase", {"confirmation": "Olwethu Other"}, 403),
    ("admin", "post", "", {"first_name": "A", "last_name": "B", "default_rate": "9"}, 201),
    ("admin", "patch", "/{u}", {"default_rate": "400"}, 200),
    ("admin", "delete", "/{u}", None, 200),
    ("admin", "post", "/{u}/erase", {"confirmation": "Olwethu Other"}, 409),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "status"), ACCESS)
def test_student_endpoints_by_role(
    client, people, bearer, assigned, unassigned, role, method, path, body, status
):
    headers = bearer(people[role]) if people[role] else {}
    url = "/api/v1/students" + path.format(a=assigned.pk, u=unassigned.pk)
    assert call(client, method, url, headers, body).status_code == status


def test_admin_archives_restores_and_erases(client, admin, unassigned, bearer):
    headers = bearer(admin)
    archived = client.delete(f"/api/v1/students/{unassigned.pk}", **headers).json()
    assert archived["status"] == "archived"
    listed = client.get("/api/v1/students", **headers).json()["results"]
    assert unassigned.pk not in [row["id"] for row in listed]
    only_archived = client.get("/api/v1/students?status=archived", **headers).json()["results"]
    assert [row["id"] for row in only_archived] == [unassigned.pk]
    restored = client.post(f"/api/v1/students/{unassigned.pk}/restore", **headers).json()
    assert restored["status"] == "active"
    client.delete(f"/api/v1/students/{unassigned.pk}", **headers)
    erase = client.post(
        f"/api/v1/students/{unassigned.pk}/erase",
        {"confirmation": "Olwethu Other"},
        content_type="application/json",
        **headers,
    )
    assert erase.status_code == 204
    assert not Student.objects.filter(pk=unassigned.pk).exists()


def test_a_tutor_does_not_see_archived_assigned_students(client, tutor, admin, assigned, bearer):
    client.delete(f"/api/v1/students/{assigned.pk}", **bearer(admin))
    assert client.get("/api/v1/students", **bearer(tutor)).json()["results"] == []
    assert client.get(f"/api/v1/students/{assigned.pk}", **bearer(tutor)).status_code == 404


def test_search_finds_a_student_from_three_letters(client, moderator, bearer):
    StudentFactory(first_name="Thabiso", last_name="Mokoena")
    StudentFactory(first_name="Lerato", last_name="Dube")
    rows = client.get("/api/v1/students?search=abi", **bearer(moderator)).json()["results"]
    assert [row["first_name"] for row in rows] == ["Thabiso"]
    rows = client.get("/api/v1/students?search=mok thab", **bearer(moderator)).json()["results"]
    assert [row["first_name"] for row in rows] == ["Thabiso"]


def test_filters_by_school_branch_grade_and_tutor(client, moderator, tutor, bearer):
    school = SchoolFactory(name="Greenside")
    match = StudentFactory(school=school, grade="Grade 12", tutors=[tutor])
    StudentFactory(school=school, grade="Grade 9")
    StudentFactory(grade="Grade 12")
    headers = bearer(moderator)
    url = f"/api/v1/students?school={school.pk}&grade=grade 12&tutor={tutor.pk}"
    rows = client.get(url, **headers).json()["results"]
    assert [row["id"] for row in rows] == [match.pk]
    branch = client.get(f"/api/v1/students?branch={match.branch_id}", **headers).json()
    assert [row["id"] for row in branch["results"]] == [match.pk]


def test_cursor_pages_do_not_overlap(client, moderator, bearer):
    StudentFactory.create_batch(12)
    headers = bearer(moderator)
    first = client.get("/api/v1/students?page_size=5", **headers).json()
    second = client.get(first["next"], **headers).json()
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 10


def test_every_page_answers_when_many_students_share_a_surname(client, moderator, bearer):
    """The cursor holds a surname and how many rows of it to skip: a large family (or a
    common surname) must not push that count past what the cursor accepts."""
    StudentFactory.create_batch(230, last_name="Dlamini", first_name="Sam")
    headers = bearer(moderator)
    seen, url = [], "/api/v1/students?page_size=100"
    while url:
        response = client.get(url, **headers)
        assert response.status_code == 200, response.content[:300]
        seen += [row["id"] for row in response.json()["results"]]
        url = response.json()["next"]
    assert len(seen) == len(set(seen)) == 230


def test_the_list_takes_the_same_number_of_queries_for_5_or_40_students(
    client, admin, bearer, tutor, django_assert_max_num_queries
):
    headers = bearer(admin)
    StudentFactory.create_batch(5, tutors=[tutor])
    with django_assert_max_num_queries(9) as small:
        client.get("/api/v1/students?page_size=50", **headers)
    StudentFactory.create_batch(35, tutors=[tutor])
    with django_assert_max_num_queries(9) as large:
        response = client.get("/api/v1/students?page_size=50", **headers)
    assert len(response.json()["results"]) == 40
    assert len(large.captured_queries) == len(small.captured_queries)


def test_validation_errors_are_field_problems(client, moderator, bearer):
    response = client.post(
        "/api/v1/students",
        {"first_name": "", "last_name": "B", "email": "nope", "tutors": [424242]},
        content_type="application/json",
        **bearer(moderator),
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "first_name" in {error["field"] for error in response.json()["errors"]}
    second = client.post(
        "/api/v1/students",
        {"first_name": "A", "last_name": "B", "email": "nope"},
        content_type="application/json",
        **bearer(moderator),
    )
    assert second.status_code == 422
    assert [error["field"] for error in second.json()["errors"]] == ["email"]


def test_patch_changes_assigned_tutors(client, moderator, tutor, other_tutor, assigned, bearer):
    response = client.patch(
        f"/api/v1/students/{assigned.pk}",
        {"tutors": [other_tutor.pk]},
        content_type="application/json",
        **bearer(moderator),
    )
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["tutors"]] == [other_tutor.pk]
    assert response.json()["status"] == StudentStatus.ACTIVE
