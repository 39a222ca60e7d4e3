"""Every API error is application/problem+json (RFC 9457), whatever raised it."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.test import RequestFactory
from ninja import Field, NinjaAPI, Schema
from ninja.errors import HttpError, Throttled
from ninja.testing import TestClient
from openapi_spec_validator import validate

from tracker.core import api_errors
from tracker.core.errors import Conflict
from tracker.core.middleware import ProblemJsonMiddleware
from tracker.org.models import Branch

PROBLEM = "application/problem+json"

pytestmark = pytest.mark.django_db

probe_api = NinjaAPI(urls_namespace="problem-probe")
api_errors.install(probe_api)


class ItemIn(Schema):
    name: str = Field(min_length=2)
    quantity: int = Field(gt=0)


@probe_api.post("/items")
def create_item(request, payload: ItemIn):
    return {"ok": True}


@probe_api.get("/conflict")
def conflict(request):
    Branch.objects.create(name="Written before the clash")
    raise Conflict("That tutor is already booked.", extra={"clashing_session": 7})


@probe_api.get("/forbidden")
def forbidden(request):
    raise PermissionDenied("Tutors may not see invoices.")


@probe_api.get("/missing")
def missing(request):
    raise Http404


@probe_api.get("/throttled")
def throttled(request):
    raise Throttled(wait=30)


@probe_api.get("/bad")
def bad(request):
    raise HttpError(400, "The period must end after it starts.")


@probe_api.get("/model-invalid")
def model_invalid(request):
    raise DjangoValidationError({"name": ["A branch with that name exists."]})


@probe_api.get("/private", auth=lambda request: None)
def private(request):
    return {"secret": True}


@probe_api.get("/boom")
def boom(request):
    raise RuntimeError("database exploded")


probe = TestClient(probe_api)


def assert_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= body.keys()
    return body


def test_validation_errors_name_each_field():
    body = assert_problem(probe.post("/items", json={"name": "x", "quantity": 0}), 422)
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"name", "quantity"}
    assert all(error["message"] for error in body["errors"])


def test_malformed_json_is_a_client_error_not_a_crash():
    response = probe.post("/items", data="{not json", content_type="application/json")
    assert response.status_code in {400, 422}
    assert response["Content-Type"] == PROBLEM


def test_conflict_is_409_with_detail_and_rolls_back_what_was_written():
    with transaction.atomic():
        body = assert_problem(probe.get("/conflict"), 409)
    assert body["detail"] == "That tutor is already booked."
    assert body["clashing_session"] == 7
    assert not Branch.objects.filter(name="Written before the clash").exists()


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("/forbidden", 403, "Tutors may not see invoices."),
        ("/missing", 404, "No such resource."),
        ("/bad", 400, "The period must end after it starts."),
        ("/boom", 500, "Something went wrong on our side."),
    ],
)
def test_errors_keep_their_status_and_explain_themselves(path, status, detail):
    assert assert_problem(probe.get(path), status)["detail"] == detail


def test_500_does_not_leak_the_exception_text():
    assert "exploded" not in probe.get("/boom").content.decode()


def test_throttled_tells_when_to_come_back():
    response = probe.get("/throttled")
    assert_problem(response, 429)
    assert response["Retry-After"] == "30"


def test_unauthenticated_is_401_with_a_bearer_challenge():
    response = probe.get("/private")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Bearer"


def test_model_validation_errors_become_field_errors():
    body = assert_problem(probe.get("/model-invalid"), 422)
    assert body["errors"] == [
        {"field": "name", "message": "A branch with that name exists.", "code": "invalid"}
    ]


def test_unknown_api_route_is_a_problem_404(client):
    body = assert_problem(client.get("/api/v1/does-not-exist"), 404)
    assert body["instance"] == "/api/v1/does-not-exist"


def test_wrong_method_is_a_problem_405_that_lists_allowed_methods(client):
    response = client.delete("/api/v1/")
    assert_problem(response, 405)
    assert "GET" in response["Allow"]


def test_django_errors_under_the_api_are_rewritten_as_problems():
    request = RequestFactory().post("/api/v1/anything")
    middleware = ProblemJsonMiddleware(lambda r: HttpResponseForbidden("<h1>CSRF</h1>"))
    assert_problem(middleware(request), 403)


def test_a_json_detail_from_django_is_kept_in_the_problem():
    request = RequestFactory().get("/api/v1/anything")
    middleware = ProblemJsonMiddleware(
        lambda r: JsonResponse({"detail": "CSRF cookie not set."}, status=403)
    )
    assert assert_problem(middleware(request), 403)["detail"] == "CSRF cookie not set."


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_api_root_links_to_the_schema_and_docs(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert response.json()["openapi"] == "/api/v1/openapi.json"


def test_openapi_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_interactive_docs_load_from_our_own_static_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui" in html
    # Nothing loaded from another host (a bare "cdn" could be spelt by the CSRF token).
    assert not re.search(r'(src|href)="(https?:)?//', html)


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/api/v1/audit?actor=a%00b", None, "actor"),
        ("get", "/api/v1/students?search=%00", None, "search"),
        ("get", "/api/v1/students?pa%00ge=1", None, "page"),
        ("get", "/api/v1/students?search=\x00", None, "search"),  # a raw byte, unquoted
        ("post", "/api/v1/branches", '{"name": "Bad\\u0000name"}', "name"),
        ("patch", "/api/v1/me", '{"phone": "\\u0000"}', "phone"),
        ("post", "/attendance/verify", '{"session_ids": [1], "note": {"a": ["\\u0000"]}}',
         "note.a.0"),
    ],
)  # fmt: skip
def test_a_nul_character_anywhere_is_a_422_naming_the_field(
    client, admin, bearer, method, path, body, field
):
    kwargs = {"content_type": "application/json", "data": body} if body else {}
    response = getattr(client, method)(path.replace("/attendance", "/api/v1/attendance"),
                                       **kwargs, **bearer(admin))  # fmt: skip
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": field, "message": "Text may not contain the NUL character.", "code": "invalid"}
    ]


def test_an_escaped_backslash_before_u0000_is_text_not_nul(client, admin, bearer):
    response = client.post(
        "/api/v1/branches", content_type="application/json",
        data='{"name": "Folder C:\\\\u0000"}', **bearer(admin),
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json()["name"] == "Folder C:\\u0000"
