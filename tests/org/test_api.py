from __future__ import annotations

import pytest

from tracker.org.selectors import lookup_model

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
BASE = {"branch": "/api/v1/branches", "school": "/api/v1/schools", "subject": "/api/v1/subjects"}
ROLES = ("admin", "moderator", "tutor", "anonymous")
EXPECTED = {
    # operation        admin moderator tutor anonymous
    "list": (200, 200, 200, 401),
    "list inactive": (200, 403, 403, 401),
    "create": (201, 403, 403, 401),
    "read": (200, 200, 200, 401),
    "update": (200, 403, 403, 401),
}
ACCESS = [
    (operation, role, status)
    for operation, statuses in EXPECTED.items()
    for role, status in zip(ROLES, statuses, strict=True)
]


def send(client, operation: str, kind: str, obj_id: int):
    collection, item = BASE[kind], f"{BASE[kind]}/{obj_id}"
    json = "application/json"
    if operation == "list":
        return client.get(collection)
    if operation == "list inactive":
        return client.get(collection, {"include_inactive": "true"})
    if operation == "create":
        return client.post(collection, {"name": "Something new"}, content_type=json)
    if operation == "read":
        return client.get(item)
    return client.patch(item, {"name": "Renamed"}, content_type=json)


@pytest.fixture
def as_admin(client, admin):
    client.force_login(admin)
    return client


@pytest.mark.parametrize(("operation", "role", "status"), ACCESS)
def test_access(request, client, kind, make_lookup, operation, role, status):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    obj = make_lookup(kind, name="Existing")

    response = send(client, operation, kind, obj.pk)

    assert response.status_code == status, response.content
    if status >= 400:
        assert response["Content-Type"] == PROBLEM


def test_create_answers_201_with_the_new_lookup(as_admin, kind):
    response = as_admin.post(BASE[kind], {"name": " Piano "}, content_type="application/json")

    assert response.status_code == 201
    body = response.json()
    obj = lookup_model(kind).objects.get(pk=body["id"])
    assert body["name"] == obj.name == "Piano"
    assert body["is_active"] is True


def test_a_branch_is_created_with_its_address(as_admin):
    response = as_admin.post(
        BASE["branch"],
        {"name": "Sandton", "address": "5 Rivonia Rd"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["address"] == "5 Rivonia Rd"


def test_the_list_is_by_name_and_leaves_out_inactive_ones(as_admin, kind, make_lookup):
    make_lookup(kind, name="Bravo")
    make_lookup(kind, name="Alpha")
    make_lookup(kind, name="Charlie", is_active=False)

    names = [item["name"] for item in as_admin.get(BASE[kind]).json()["results"]]
    assert "Charlie" not in names
    assert names.index("Alpha") < names.index("Bravo")

    everything = as_admin.get(BASE[kind], {"include_inactive": "true"}).json()["results"]
    assert {item["name"]: item["is_active"] for item in everything}["Charlie"] is False


def test_the_cursor_walks_every_lookup_once(as_admin, kind, make_lookup):
    for n in range(5):
        make_lookup(kind, name=f"Item {n}")
    expected = sorted(lookup_model(kind).objects.values_list("name", flat=True))

    seen, url = [], f"{BASE[kind]}?page_size=2"
    while url:
        body = as_admin.get(url).json()
        assert len(body["results"]) <= 2
        seen += [item["name"] for item in body["results"]]
        url = body["next"]

    assert seen == expected


@pytest.mark.parametrize("rows", [1, 30])
def test_listing_costs_the_same_queries_however_many_rows(
    as_admin, kind, make_lookup, django_assert_max_num_queries, rows
):
    for n in range(rows):
        make_lookup(kind, name=f"Row {n}")
    # The request's savepoint and its release (ATOMIC_REQUESTS), the session, the user and
    # one page of lookups.
    with django_assert_max_num_queries(5):
        response = as_admin.get(BASE[kind], {"include_inactive": "true"})
    assert len(response.json()["results"]) >= rows


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"name": ""}, "at least 1 character"),
        ({"name": "   "}, "Enter a name."),
        ({"name": "x" * 121}, "at most 120 characters"),
        ({}, "Field required"),
    ],
)
def test_a_bad_name_is_a_422_field_error_and_nothing_is_written(
    as_admin, kind, org_entries, payload, message
):
    before = lookup_model(kind).objects.count()

    response = as_admin.post(BASE[kind], payload, content_type="application/json")

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    [error] = response.json()["errors"]
    assert error["field"] == "name"
    assert message in error["message"]
    assert lookup_model(kind).objects.count() == before
    assert org_entries() == []


def test_a_duplicate_name_is_a_422_field_error(as_admin, kind, make_lookup, org_entries):
    make_lookup(kind, name="Mathematics")

    response = as_admin.post(BASE[kind], {"name": "MATHEMATICS"}, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "name",
            "message": f"There is already a {kind} called “MATHEMATICS”.",
            "code": "invalid",
        }
    ]
    assert org_entries() == []


def test_renaming_onto_another_name_is_a_422(as_admin, kind, make_lookup):
    make_lookup(kind, name="English")
    obj = make_lookup(kind, name="Englsh")

    response = as_admin.patch(
        f"{BASE[kind]}/{obj.pk}", {"name": "english"}, content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"


def test_patch_renames_and_deactivates(as_admin, kind, make_lookup, org_entries):
    obj = make_lookup(kind, name="Maths")

    response = as_admin.patch(
        f"{BASE[kind]}/{obj.pk}",
        {"name": "Mathematics", "is_active": False},
        content_type="application/json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["is_active"]) == (obj.pk, "Mathematics", False)
    assert [entry.action for entry in org_entries()] == [
        f"org.{kind}.updated",
        f"org.{kind}.deactivated",
    ]


def test_patch_with_only_is_active_reactivates(as_admin, kind, make_lookup, org_entries):
    obj = make_lookup(kind, name="Piano", is_active=False)

    response = as_admin.patch(
        f"{BASE[kind]}/{obj.pk}", {"is_active": True}, content_type="application/json"
    )

    assert response.json()["is_active"] is True
    assert [entry.action for entry in org_entries()] == [f"org.{kind}.reactivated"]


def test_a_patched_branch_can_move(as_admin, make_lookup):
    branch = make_lookup("branch", name="Sandton", address="Old road")
    response = as_admin.patch(
        f"{BASE['branch']}/{branch.pk}", {"address": "New road"}, content_type="application/json"
    )
    assert response.json()["address"] == "New road"


def test_an_unknown_id_is_404(as_admin, kind):
    missing = f"{BASE[kind]}/999999"
    for response in (
        as_admin.get(missing),
        as_admin.patch(missing, {"name": "X"}, content_type="application/json"),
    ):
        assert response.status_code == 404
        assert response["Content-Type"] == PROBLEM


def test_an_inactive_lookup_is_404_for_a_tutor(client, tutor, kind, make_lookup):
    obj = make_lookup(kind, name="Retired", is_active=False)
    client.force_login(tutor)
    assert client.get(f"{BASE[kind]}/{obj.pk}").status_code == 404


def test_the_schema_lists_every_lookup_operation(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for collection in BASE.values():
        assert set(paths[collection]) == {"get", "post"}
        assert set(paths[collection + "/{obj_id}"]) == {"get", "patch"}
