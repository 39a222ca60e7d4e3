"""Student pages: list, search, detail, add, edit, status changes, by role."""

from __future__ import annotations

import pytest

from tests.factories import SubjectFactory
from tests.students.conftest import StudentFactory
from tracker.students.models import Student, StudentStatus

pytestmark = pytest.mark.django_db

# (role, url, status); {a} the tutor's assigned student, {u} another.
ACCESS = [
    (None, "/students/", 302),
    ("tutor", "/students/", 200),
    ("tutor", "/students/{a}/", 200),
    ("tutor", "/students/{u}/", 404),
    ("tutor", "/students/new/", 403),
    ("tutor", "/students/{a}/edit/", 403),
    ("moderator", "/students/new/", 200),
    ("moderator", "/students/{u}/", 200),
    ("moderator", "/students/{u}/edit/", 200),
    ("moderator", "/students/{u}/erase/", 403),
    ("admin", "/students/{u}/erase/", 200),
]


@pytest.mark.parametrize(("role", "url", "status"), ACCESS)
def test_student_pages_by_role(client, people, assigned, unassigned, role, url, status):
    if role:
        client.force_login(people[role])
    response = client.get(url.format(a=assigned.pk, u=unassigned.pk))
    assert response.status_code == status


@pytest.mark.parametrize("url", ["/students/{u}/pause/", "/students/{u}/archive/"])
def test_status_changes_are_posts(client, admin, unassigned, url):
    client.force_login(admin)
    assert client.get(url.format(u=unassigned.pk)).status_code == 405


def test_a_tutor_sees_basic_fields_only(client, tutor, assigned):
    client.force_login(tutor)
    list_html = client.get("/students/").content.decode()
    detail_html = client.get(f"/students/{assigned.pk}/").content.decode()
    for html in (list_html, detail_html):
        assert "Amahle" in html
        assert "+27 82 123 4567" not in html
        assert "Grace Guardian" not in html
        # The rate as the pages write it: a bare "350" also matches a factory's "Branch 3350".
        assert "350.00" not in html
        assert "Default hourly rate" not in html
    assert "Olwethu" not in list_html
    assert "My students" in list_html


def test_a_moderator_sees_contact_details_but_no_rate(client, moderator, assigned):
    client.force_login(moderator)
    html = client.get(f"/students/{assigned.pk}/").content.decode()
    assert "+27 82 123 4567" in html
    assert "Grace Guardian" in html
    assert "350.00" not in html
    assert 'name="default_rate"' not in client.get("/students/new/").content.decode()


def test_an_admin_sees_the_rate(client, admin, assigned):
    client.force_login(admin)
    assert "ZAR 350.00" in client.get(f"/students/{assigned.pk}/").content.decode()


def test_search_needs_three_letters_and_answers_htmx_with_the_results(client, moderator):
    StudentFactory(first_name="Thabiso", last_name="Mokoena")
    StudentFactory(first_name="Lerato", last_name="Dube")
    client.force_login(moderator)
    two = client.get("/students/?search=th", HTTP_HX_REQUEST="true").content.decode()
    assert "Thabiso" in two
    assert "Lerato" in two
    three = client.get("/students/?search=abi", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in three
    assert "Thabiso" in three
    assert "Lerato" not in three


def test_sorting_by_grade_descending(client, moderator):
    StudentFactory(first_name="Younger", grade="Grade 07")
    StudentFactory(first_name="Older", grade="Grade 12")
    client.force_login(moderator)
    html = client.get("/students/?sort=-grade").content.decode()
    assert html.index("Older") < html.index("Younger")
    assert 'aria-sort="descending"' in html


def test_the_list_page_queries_do_not_grow_with_students(
    client, admin, tutor, django_assert_max_num_queries
):
    StudentFactory.create_batch(3, tutors=[tutor])
    client.force_login(admin)
    with django_assert_max_num_queries(14) as few:
        client.get("/students/")
    StudentFactory.create_batch(20, tutors=[tutor])
    with django_assert_max_num_queries(14) as many:
        client.get("/students/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_moderator_adds_a_student_from_the_page(client, moderator, tutor):
    maths = SubjectFactory(name="Mathematics")
    client.force_login(moderator)
    response = client.post(
        "/students/new/",
        {
            "first_name": "Kagiso",
            "last_name": "Molefe",
            "grade": "Grade 8",
            "subjects": [maths.pk],
            "tutors": [tutor.pk],
            "phone": "071 000 1111",
            "consent_given": "on",
        },
    )
    student = Student.objects.get(first_name="Kagiso")
    assert response.status_code == 302
    assert response["Location"] == f"/students/{student.pk}/"
    assert list(student.tutors.all()) == [tutor]
    assert student.consent_given is True


def test_the_add_form_shows_field_errors_and_keeps_input(client, moderator):
    client.force_login(moderator)
    response = client.post(
        "/students/new/", {"first_name": "", "last_name": "Molefe", "email": "bad"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert "Enter a valid email address." in html
    assert 'value="Molefe"' in html
    assert not Student.objects.exists()


def test_edit_keeps_what_is_not_changed(client, moderator, assigned):
    client.force_login(moderator)
    form = client.get(f"/students/{assigned.pk}/edit/").content.decode()
    assert 'value="+27 82 123 4567"' in form
    response = client.post(
        f"/students/{assigned.pk}/edit/",
        {"first_name": "Amahle", "last_name": "Assigned", "grade": "Grade 11",
         "tutors": [t.pk for t in assigned.tutors.all()], "phone": "+27 82 123 4567"},
    )  # fmt: skip
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.grade == "Grade 11"
    assert assigned.tutors.count() == 1


def test_admin_archives_restores_and_erases_from_the_pages(client, admin, unassigned):
    client.force_login(admin)
    client.post(f"/students/{unassigned.pk}/archive/")
    unassigned.refresh_from_db()
    assert unassigned.status == StudentStatus.ARCHIVED
    client.post(f"/students/{unassigned.pk}/restore/")
    unassigned.refresh_from_db()
    assert unassigned.status == StudentStatus.ACTIVE
    refused = client.post(f"/students/{unassigned.pk}/erase/")
    assert "Archive the student before erasing them." in refused.content.decode()
    client.post(f"/students/{unassigned.pk}/archive/")
    erased = client.post(f"/students/{unassigned.pk}/erase/", {"confirmation": "Olwethu Other"})
    assert erased.status_code == 302
    assert not Student.objects.filter(pk=unassigned.pk).exists()


def test_moderator_pauses_and_resumes(client, moderator, unassigned):
    client.force_login(moderator)
    client.post(f"/students/{unassigned.pk}/pause/")
    unassigned.refresh_from_db()
    assert unassigned.status == StudentStatus.PAUSED
    client.post(f"/students/{unassigned.pk}/pause/")
    unassigned.refresh_from_db()
    assert unassigned.status == StudentStatus.ACTIVE


def test_pages_keep_the_filters_and_sort_links_drop_the_page(client, moderator):
    StudentFactory.create_batch(30, grade="Grade 9")
    client.force_login(moderator)
    html = client.get("/students/?grade=Grade+9&sort=name").content.decode()
    assert 'href="?grade=Grade+9&amp;sort=name&amp;page=2"' in html
    second = client.get("/students/?grade=Grade+9&sort=name&page=2").content.decode()
    assert 'href="?grade=Grade+9&amp;sort=-name"' in second
