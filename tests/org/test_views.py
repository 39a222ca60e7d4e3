from __future__ import annotations

import pytest
from django.urls import reverse

from tracker.org.selectors import lookup_model

pytestmark = pytest.mark.django_db

INDEX = reverse("org:index")
HTMX = {"HTTP_HX_REQUEST": "true"}
ROLES = ("admin", "moderator", "tutor", "anonymous")
EXPECTED = {
    # (url name, method)        admin moderator tutor anonymous
    ("index", "get"): (200, 403, 403, 302),
    ("create", "post"): (302, 403, 403, 302),
    ("edit", "get"): (200, 403, 403, 302),
    ("edit", "post"): (302, 403, 403, 302),
    ("deactivate", "post"): (302, 403, 403, 302),
    ("reactivate", "post"): (302, 403, 403, 302),
}
ACCESS = [
    (name, method, role, status)
    for (name, method), statuses in EXPECTED.items()
    for role, status in zip(ROLES, statuses, strict=True)
]


def url(name: str, kind: str, obj_id: int | None = None) -> str:
    if name == "index":
        return INDEX
    if name == "create":
        return reverse("org:create", args=[kind])
    return reverse(f"org:{name}", args=[kind, obj_id])


def form_data(kind: str, name: str, *, prefixed: bool = True) -> dict[str, str]:
    key = f"{kind}-name" if prefixed else "name"
    return {key: name}


@pytest.fixture
def as_admin(client, admin):
    client.force_login(admin)
    return client


@pytest.mark.parametrize(("name", "method", "role", "status"), ACCESS)
def test_access(request, client, kind, make_lookup, name, method, role, status):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    obj = make_lookup(kind, name="Existing")
    data = form_data(kind, "Something new", prefixed=name == "create")

    response = getattr(client, method)(url(name, kind, obj.pk), data if method == "post" else None)

    assert response.status_code == status
    if role == "anonymous":
        assert "/accounts/login/" in response["Location"]
        assert "next=" in response["Location"]


@pytest.mark.parametrize("name", ["create", "deactivate", "reactivate"])
def test_state_changes_refuse_get(as_admin, kind, make_lookup, name):
    obj = make_lookup(kind, name="Existing")
    assert as_admin.get(url(name, kind, obj.pk)).status_code == 405


def test_index_refuses_post(as_admin):
    assert as_admin.post(INDEX).status_code == 405


def test_unknown_kinds_and_ids_are_404(as_admin, kind):
    assert as_admin.post(reverse("org:create", args=["colour"])).status_code == 404
    assert as_admin.get(reverse("org:edit", args=[kind, 999_999])).status_code == 404
    assert as_admin.post(reverse("org:deactivate", args=[kind, 999_999])).status_code == 404


def test_the_page_lists_every_kind_and_marks_the_inactive(as_admin, make_lookup):
    make_lookup("subject", name="Piano")
    make_lookup("subject", name="Latin", is_active=False)

    html = as_admin.get(INDEX).content.decode()

    for kind in ("branch", "school", "subject"):
        assert f'id="lookup-{kind}"' in html
    latin_row = html[html.index("Latin") : html.index("</tr>", html.index("Latin"))]
    assert "Inactive" in latin_row
    assert "Reactivate" in latin_row
    assert "Deactivate" in html[html.index("Piano") :]


def test_the_page_keeps_to_the_content_security_policy(as_admin, make_lookup):
    make_lookup("branch", name="Rosebank", address="12 Tyrwhitt Ave")
    html = as_admin.get(INDEX).content.decode()
    assert " style=" not in html
    assert "<script>" not in html
    assert "css/forms.css" in html


def test_adding_redirects_back_with_a_confirmation(as_admin, kind):
    response = as_admin.post(url("create", kind), form_data(kind, " Piano "), follow=True)

    assert response.redirect_chain == [(f"{INDEX}#lookup-{kind}", 302)]
    assert lookup_model(kind).objects.filter(name="Piano").exists()
    assert "“Piano” added." in response.content.decode()


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_name_shows_the_error_at_the_field(as_admin, kind, org_entries, name):
    response = as_admin.post(url("create", kind), form_data(kind, name))

    assert response.status_code == 200
    html = response.content.decode()
    field_id = f"id_{kind}-name"
    assert f'id="{field_id}_error"' in html
    assert f'aria-describedby="{field_id}_error"' in html
    assert 'aria-invalid="true"' in html
    assert "Enter a name." in html
    # The rest of the page is still there around the form.
    assert "<html" in html
    assert org_entries() == []


def test_a_duplicate_name_shows_the_services_message_at_the_field(as_admin, kind, make_lookup):
    make_lookup(kind, name="Piano")

    response = as_admin.post(url("create", kind), form_data(kind, "PIANO"))

    assert response.status_code == 200
    html = response.content.decode()
    error = html[html.index(f'id="id_{kind}-name_error"') :]
    assert error.index("There is already a") < error.index("</ul>")


def test_htmx_adding_returns_only_the_refreshed_section(as_admin, kind):
    response = as_admin.post(url("create", kind), form_data(kind, "Piano"), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith(f'<section id="lookup-{kind}"')
    assert "“Piano” added." in html
    assert "Piano</span>" in html
    # The confirmation was shown in the section, so it must not pop up again later.
    assert "added" not in as_admin.get(INDEX).content.decode()


def test_htmx_invalid_input_returns_the_section_with_the_error(as_admin, kind):
    response = as_admin.post(url("create", kind), form_data(kind, ""), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert f'id="id_{kind}-name_error"' in html


def test_deactivating_redirects_and_marks_the_lookup(as_admin, kind, make_lookup, org_entries):
    obj = make_lookup(kind, name="Piano")

    response = as_admin.post(url("deactivate", kind, obj.pk), follow=True)

    assert response.redirect_chain == [(f"{INDEX}#lookup-{kind}", 302)]
    obj.refresh_from_db()
    assert not obj.is_active
    assert "“Piano” deactivated" in response.content.decode()
    assert [entry.action for entry in org_entries()] == [f"org.{kind}.deactivated"]


def test_htmx_reactivating_returns_the_section(as_admin, kind, make_lookup):
    obj = make_lookup(kind, name="Piano", is_active=False)

    response = as_admin.post(url("reactivate", kind, obj.pk), **HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert "“Piano” is active again." in html
    obj.refresh_from_db()
    assert obj.is_active


def test_the_edit_page_shows_the_current_values(as_admin, make_lookup):
    branch = make_lookup("branch", name="Sandton", address="5 Rivonia Rd")

    html = as_admin.get(url("edit", "branch", branch.pk)).content.decode()

    assert 'value="Sandton"' in html
    assert 'value="5 Rivonia Rd"' in html


def test_editing_saves_and_redirects(as_admin, kind, make_lookup, org_entries):
    obj = make_lookup(kind, name="Maths")

    response = as_admin.post(url("edit", kind, obj.pk), {"name": "Mathematics"}, follow=True)

    assert response.redirect_chain == [(f"{INDEX}#lookup-{kind}", 302)]
    obj.refresh_from_db()
    assert obj.name == "Mathematics"
    assert "“Mathematics” saved." in response.content.decode()
    assert [entry.changes for entry in org_entries()] == [{"name": ["Maths", "Mathematics"]}]


def test_editing_onto_another_name_shows_the_error(as_admin, kind, make_lookup):
    make_lookup(kind, name="English")
    obj = make_lookup(kind, name="Englsh")

    response = as_admin.post(url("edit", kind, obj.pk), {"name": "english"})

    assert response.status_code == 200
    assert 'id="id_name_error"' in response.content.decode()
    obj.refresh_from_db()
    assert obj.name == "Englsh"


@pytest.mark.parametrize("rows", [1, 20])
def test_the_page_costs_the_same_queries_however_many_rows(
    as_admin, make_lookup, django_assert_max_num_queries, rows
):
    for n in range(rows):
        for kind in ("branch", "school", "subject"):
            make_lookup(kind, name=f"Row {n}")
    # Savepoint and release, session, user, one list per kind. Plus the bell's unread count.
    with django_assert_max_num_queries(8):
        response = as_admin.get(INDEX)
    assert response.status_code == 200
