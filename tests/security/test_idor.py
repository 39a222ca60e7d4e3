"""IDOR: every API endpoint and every page with an id, as every role, pointed at objects
that belong to another tutor. The tutor must get 404 (or 403 for a whole capability), never
the object; the owner and the staff prove that the ids are real.

Each row is (method, path, body) then the status for anonymous, tutor, the owner (the
other tutor), moderator, admin. Every request runs in a transaction that is rolled back,
so one world serves a whole row of roles and a write by one role does not change what
the next one sees.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from tests.finance.test_api_access import ENDPOINTS as FINANCE_ENDPOINTS
from tests.security.pages import all_pages

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "tutor", "owner", "moderator", "admin")
WINDOW = {"weekday": 3, "start": "09:00", "end": "10:00"}
OFF = {"starts_at": "2031-05-01T08:00:00+02:00", "ends_at": "2031-05-02T08:00:00+02:00",
       "reason": "Away"}  # fmt: skip
CSV = "CSV"  # a small student list, uploaded as a file

API = [
    ("get", "/", None, 200, 200, 200, 200, 200),
    ("post", "/auth/token", {"username": "outsider", "password": "wrong"}, 401, 401, 401, 401, 401),
    ("post", "/auth/refresh", {"refresh_token": "str_nothing"}, 401, 401, 401, 401, 401),
    ("post", "/auth/revoke", {"token": "sta_nothing"}, 204, 204, 204, 204, 204),
    ("get", "/me", None, 401, 200, 200, 200, 200),
    ("patch", "/me", {"phone": "+27 82 000 0000"}, 401, 200, 200, 200, 200),
    (
        "post",
        "/me/password",
        {"current_password": "correct-horse-battery-staple", "new_password": "another-long-pass-9"},
        401,
        204,
        204,
        204,
        204,
    ),
    ("get", "/me/sessions", None, 401, 200, 200, 200, 200),
    ("delete", "/me/sessions/{signin}", None, 401, 404, 204, 404, 404),
    ("get", "/users", None, 401, 403, 403, 200, 200),
    ("post", "/users", {"username": "newbie", "role": "tutor"}, 401, 403, 403, 201, 201),
    ("get", "/users/{user}", None, 401, 403, 403, 200, 200),
    ("patch", "/users/{user}", {"phone": "+27 82 000 0001"}, 401, 403, 403, 200, 200),
    ("delete", "/users/{spare}", None, 401, 403, 403, 403, 204),
    ("get", "/audit", None, 401, 403, 403, 403, 200),
    ("get", "/audit/verify", None, 401, 403, 403, 403, 200),
    ("get", "/branches", None, 401, 200, 200, 200, 200),
    ("post", "/branches", {"name": "Sandton"}, 401, 403, 403, 403, 201),
    ("get", "/branches/{branch}", None, 401, 200, 200, 200, 200),
    ("patch", "/branches/{branch}", {"address": "1 Main Rd"}, 401, 403, 403, 403, 200),
    ("get", "/schools", None, 401, 200, 200, 200, 200),
    ("post", "/schools", {"name": "New School"}, 401, 403, 403, 403, 201),
    ("get", "/schools/{school}", None, 401, 200, 200, 200, 200),
    ("patch", "/schools/{school}", {"name": "Renamed School"}, 401, 403, 403, 403, 200),
    ("get", "/subjects", None, 401, 200, 200, 200, 200),
    ("post", "/subjects", {"name": "Chemistry"}, 401, 403, 403, 403, 201),
    ("get", "/subjects/{subject}", None, 401, 200, 200, 200, 200),
    ("patch", "/subjects/{subject}", {"name": "Physical Science"}, 401, 403, 403, 403, 200),
    ("post", "/students/import", CSV, 401, 403, 403, 200, 200),
    ("get", "/students/import/template", None, 401, 403, 403, 200, 200),
    ("get", "/students", None, 401, 200, 200, 200, 200),
    (
        "post",
        "/students",
        {"first_name": "New", "last_name": "Pupil", "tutors": ["{user}"]},
        401,
        403,
        403,
        201,
        201,
    ),
    ("get", "/students/{student}", None, 401, 404, 200, 200, 200),
    ("patch", "/students/{student}", {"grade": "Grade 11"}, 401, 404, 403, 200, 200),
    ("delete", "/students/{student}", None, 401, 404, 403, 403, 200),
    ("post", "/students/{student}/restore", None, 401, 404, 403, 403, 200),
    ("get", "/students/{student}/export", None, 401, 403, 403, 403, 200),
    (
        "post",
        "/students/{student}/erase",
        {"confirmation": "Thandi Theirs"},
        401,
        403,
        403,
        403,
        409,
    ),
    ("get", "/students/{student}/availability", None, 401, 404, 200, 200, 200),
    (
        "post",
        "/students/{student}/availability",
        {"weekday": 3, "start": "09:00", "end": "10:00"},
        401,
        404,
        403,
        201,
        201,
    ),
    (
        "patch",
        "/students/{student}/availability/{window}",
        {"end": "17:30"},
        401,
        404,
        403,
        200,
        200,
    ),
    ("delete", "/students/{student}/availability/{window}", None, 401, 404, 403, 204, 204),
    ("get", "/students/{student}/time-off", None, 401, 404, 200, 200, 200),
    (
        "post",
        "/students/{student}/time-off",
        {
            "starts_at": "2031-05-01T08:00:00+02:00",
            "ends_at": "2031-05-02T08:00:00+02:00",
            "reason": "Away",
        },
        401,
        404,
        403,
        201,
        201,
    ),
    ("delete", "/students/{student}/time-off/{time_off}", None, 401, 404, 403, 204, 204),
    ("get", "/users/{user}/availability", None, 401, 404, 200, 200, 200),
    (
        "post",
        "/users/{user}/availability",
        {"weekday": 3, "start": "09:00", "end": "10:00"},
        401,
        404,
        201,
        201,
        201,
    ),
    (
        "patch",
        "/users/{user}/availability/{tutor_window}",
        {"end": "18:30"},
        401,
        404,
        200,
        200,
        200,
    ),
    ("delete", "/users/{user}/availability/{tutor_window}", None, 401, 404, 204, 204, 204),
    ("get", "/users/{user}/time-off", None, 401, 404, 200, 200, 200),
    (
        "post",
        "/users/{user}/time-off",
        {
            "starts_at": "2031-05-01T08:00:00+02:00",
            "ends_at": "2031-05-02T08:00:00+02:00",
            "reason": "Away",
        },
        401,
        404,
        201,
        201,
        201,
    ),
    ("delete", "/users/{user}/time-off/{tutor_time_off}", None, 401, 404, 204, 204, 204),
    ("get", "/me/availability", None, 401, 200, 200, 409, 409),
    (
        "post",
        "/me/availability",
        {"weekday": 3, "start": "09:00", "end": "10:00"},
        401,
        201,
        201,
        409,
        409,
    ),
    ("patch", "/me/availability/{tutor_window}", {"end": "18:30"}, 401, 404, 200, 409, 409),
    ("delete", "/me/availability/{tutor_window}", None, 401, 404, 204, 409, 409),
    ("get", "/me/time-off", None, 401, 200, 200, 409, 409),
    (
        "post",
        "/me/time-off",
        {
            "starts_at": "2031-05-01T08:00:00+02:00",
            "ends_at": "2031-05-02T08:00:00+02:00",
            "reason": "Away",
        },
        401,
        201,
        201,
        409,
        409,
    ),
    ("delete", "/me/time-off/{tutor_time_off}", None, 401, 404, 204, 409, 409),
    (
        "get",
        "/sessions?start=2031-03-01T00:00:00Z&end=2031-04-01T00:00:00Z",
        None,
        401,
        200,
        200,
        200,
        200,
    ),
    (
        "post",
        "/sessions",
        {
            "tutor": "{user}",
            "students": ["{student}"],
            "start": "2031-03-12T15:00:00+02:00",
            "end": "2031-03-12T16:00:00+02:00",
        },
        401,
        403,
        403,
        201,
        201,
    ),
    ("get", "/sessions/version", None, 401, 200, 200, 200, 200),
    ("get", "/sessions/{session}", None, 401, 404, 200, 200, 200),
    ("patch", "/sessions/{session}", {"location": "Library"}, 401, 404, 403, 200, 200),
    ("post", "/sessions/{session}/cancel", {"reason": "Ill"}, 401, 404, 403, 200, 200),
    (
        "post",
        "/sessions/{logged}/log",
        {"outcome": "completed", "force": True},
        401,
        404,
        409,
        200,
        200,
    ),
    ("post", "/sessions/{logged}/send-back", {"comment": "Who came?"}, 401, 403, 403, 200, 200),
    ("post", "/attendance/verify", {"session_ids": ["{logged}"]}, 401, 403, 403, 200, 200),
    ("get", "/attendance/pending", None, 401, 403, 403, 200, 200),
    ("get", "/attendance/stats?start=2026-01-01&end=2026-12-31", None, 401, 403, 403, 200, 200),
    ("get", "/calendar/feed", None, 401, 200, 200, 200, 200),
    ("delete", "/calendar/feed", None, 401, 204, 204, 204, 204),
    ("get", "/closures", None, 401, 200, 200, 200, 200),
    (
        "post",
        "/closures",
        {"start_date": "2031-06-01", "end_date": "2031-06-02", "reason": "Break"},
        401,
        403,
        403,
        403,
        201,
    ),
    ("delete", "/closures/{closure}", None, 401, 403, 403, 403, 204),
    (
        "get",
        "/slots?tutor={user}&student={student}&start=2031-03-01&end=2031-03-07",
        None,
        401,
        403,
        403,
        200,
        200,
    ),
    (
        "get",
        "/availability/background?start=2031-03-01T00:00:00Z&end=2031-03-07T00:00:00Z&tutor={user}",
        None,
        401,
        404,
        200,
        200,
        200,
    ),
    ("get", "/threads", None, 401, 200, 200, 200, 200),
    (
        "post",
        "/threads",
        {"subject": "Hello", "body": "Hi", "recipients": ["{user}"]},
        401,
        403,
        403,
        201,
        201,
    ),
    ("get", "/threads/{thread}", None, 401, 404, 200, 200, 404),
    ("get", "/threads/{thread}/messages", None, 401, 404, 200, 200, 404),
    ("post", "/threads/{thread}/messages", {"body": "Me too"}, 401, 404, 201, 201, 404),
    ("post", "/threads/{thread}/read", None, 401, 404, 200, 200, 404),
    (
        "post",
        "/broadcasts",
        {"audience": "everyone", "subject": "News", "body": "Hello all"},
        401,
        403,
        403,
        403,
        201,
    ),
    ("get", "/notifications", None, 401, 200, 200, 200, 200),
    ("post", "/notifications/read", {"ids": None}, 401, 200, 200, 200, 200),
    ("get", "/notifications/unread", None, 401, 200, 200, 200, 200),
    ("get", "/notifications/preferences", None, 401, 200, 200, 200, 200),
    ("put", "/notifications/preferences", {"email": []}, 401, 200, 200, 200, 200),
    # Search answers everyone signed in, each within their own scope (tests/search).
    ("get", "/search?q=Thandi", None, 401, 200, 200, 200, 200),
    ("get", "/search?q=Thandi&kind=tutors", None, 401, 403, 403, 200, 200),
    ("get", "/search?q=T", None, 401, 422, 422, 422, 422),
    ("get", "/reports/dashboard", None, 401, 200, 200, 200, 200),
    ("get", "/reports", None, 401, 403, 403, 200, 200),
    ("get", "/reports/{report}", None, 401, 403, 403, 200, 200),
    ("get", "/reports/{money_report}", None, 401, 403, 403, 403, 200),
    ("get", "/reports/{report}/export?format=xlsx", None, 401, 403, 403, 200, 200),
    ("get", "/reports/{money_report}/export?format=pdf", None, 401, 403, 403, 403, 200),
    # The full data export: moderators without money, admins everything (tests/reports).
    ("get", "/exports/data", None, 401, 403, 403, 200, 200),
    ("get", "/finance/rates", None, 401, 403, 403, 403, 200),
    ("delete", "/finance/rates/{rate}", None, 401, 403, 403, 403, 204),
    ("get", "/finance/payers/{payer}", None, 401, 403, 403, 403, 200),
    ("patch", "/finance/payers/{payer}", {"address": "2 Short St"}, 401, 403, 403, 403, 200),
    ("get", "/finance/invoices/{invoice}", None, 401, 403, 403, 403, 200),
    ("delete", "/finance/invoices/{invoice}", None, 401, 403, 403, 403, 204),
    (
        "post",
        "/finance/invoices/{invoice}/lines",
        {"description": "Workbook", "unit_price": "80.00"},
        401,
        403,
        403,
        403,
        201,
    ),
    ("delete", "/finance/invoices/{invoice}/lines/{line}", None, 401, 403, 403, 403, 200),
    ("post", "/finance/invoices/{invoice}/discount", {"amount": "5.00"}, 401, 403, 403, 403, 201),
    ("post", "/finance/invoices/{invoice}/issue", None, 401, 403, 403, 403, 200),
    ("post", "/finance/invoices/{invoice}/void", {"reason": "Sent twice"}, 401, 403, 403, 403, 409),
    (
        "post",
        "/finance/invoices/{invoice}/credit-notes",
        {"amount": "5.00", "reason": "Late"},
        401,
        403,
        403,
        403,
        409,
    ),
    ("get", "/finance/invoices/{invoice}/pdf", None, 401, 403, 403, 403, 200),
    ("get", "/finance/payments/{payment}", None, 401, 403, 403, 403, 200),
    (
        "post",
        "/finance/payments/{payment}/allocate",
        {"invoice": "{invoice}", "amount": "1.00"},
        401,
        403,
        403,
        403,
        422,
    ),
]

PAGES = [
    ("get", "accounts:signin-revoke", 302, 405, 405, 405, 405),
    ("post", "accounts:signin-revoke", 302, 404, 302, 404, 404),
    ("get", "accounts:password-reset-confirm", 200, 200, 200, 200, 200),
    ("post", "accounts:password-reset-confirm", 200, 200, 200, 200, 200),
    ("get", "accounts:user-edit", 302, 403, 403, 200, 200),
    ("post", "accounts:user-edit", 302, 403, 403, 200, 200),
    ("get", "accounts:user-delete", 302, 403, 403, 403, 200),
    # The tutor has sessions: the page explains that the account must be kept (no 500).
    ("post", "accounts:user-delete", 302, 403, 403, 403, 200),
    ("get", "students-import:template", 302, 403, 403, 200, 200),
    ("post", "students-import:template", 302, 405, 405, 405, 405),
    ("get", "students:detail", 302, 404, 200, 200, 200),
    ("post", "students:detail", 302, 404, 200, 200, 200),
    ("get", "students:edit", 302, 403, 403, 200, 200),
    ("post", "students:edit", 302, 403, 403, 200, 200),
    ("get", "students:pause", 302, 405, 405, 405, 405),
    ("post", "students:pause", 302, 404, 403, 302, 302),
    ("get", "students:archive", 302, 405, 405, 405, 405),
    ("post", "students:archive", 302, 403, 403, 403, 302),
    ("get", "students:restore", 302, 405, 405, 405, 405),
    ("post", "students:restore", 302, 403, 403, 403, 302),
    ("get", "students:export", 302, 403, 403, 403, 200),
    ("post", "students:export", 302, 405, 405, 405, 405),
    ("get", "students:erase", 302, 403, 403, 403, 200),
    ("post", "students:erase", 302, 403, 403, 403, 200),
    ("get", "availability:student", 302, 404, 200, 200, 200),
    ("post", "availability:student", 302, 405, 405, 405, 405),
    ("get", "availability:tutor", 302, 404, 200, 200, 200),
    ("post", "availability:tutor", 302, 405, 405, 405, 405),
    ("get", "availability:window-add", 302, 405, 405, 405, 405),
    ("post", "availability:window-add", 302, 404, 403, 200, 200),
    ("get", "availability:time-off-add", 302, 405, 405, 405, 405),
    ("post", "availability:time-off-add", 302, 404, 403, 200, 200),
    ("get", "availability:window-remove", 302, 405, 405, 405, 405),
    ("post", "availability:window-remove", 302, 404, 403, 302, 302),
    ("get", "availability:time-off-remove", 302, 405, 405, 405, 405),
    ("post", "availability:time-off-remove", 302, 404, 403, 302, 302),
    ("get", "attendance:log", 302, 405, 405, 405, 405),
    ("post", "attendance:log", 302, 404, 302, 302, 302),
    ("get", "attendance:send-back", 302, 405, 405, 405, 405),
    ("post", "attendance:send-back", 302, 403, 403, 302, 302),
    ("get", "closures:remove", 302, 405, 405, 405, 405),
    ("post", "closures:remove", 302, 403, 403, 403, 302),
    ("get", "ics:feed", 404, 404, 404, 404, 404),
    ("post", "ics:feed", 405, 405, 405, 405, 405),
    ("get", "org:create", 302, 405, 405, 405, 405),
    ("post", "org:create", 302, 403, 403, 403, 200),
    ("get", "org:edit", 302, 403, 403, 403, 200),
    ("post", "org:edit", 302, 403, 403, 403, 200),
    ("get", "org:deactivate", 302, 405, 405, 405, 405),
    ("post", "org:deactivate", 302, 403, 403, 403, 302),
    ("get", "org:reactivate", 302, 405, 405, 405, 405),
    ("post", "org:reactivate", 302, 403, 403, 403, 302),
    ("get", "finance:revenue-export", 302, 403, 403, 200, 200),
    ("post", "finance:revenue-export", 302, 405, 405, 405, 405),
    ("get", "finance:invoices-export", 302, 403, 403, 403, 200),
    ("post", "finance:invoices-export", 302, 405, 405, 405, 405),
    ("get", "finance:invoice", 302, 403, 403, 403, 200),
    ("post", "finance:invoice", 302, 405, 405, 405, 405),
    ("get", "finance:invoice-pdf", 302, 403, 403, 403, 200),
    ("post", "finance:invoice-pdf", 302, 405, 405, 405, 405),
    ("get", "finance:invoice-line-add", 302, 405, 405, 405, 405),
    ("post", "finance:invoice-line-add", 302, 403, 403, 403, 200),
    ("get", "finance:invoice-line-remove", 302, 405, 405, 405, 405),
    ("post", "finance:invoice-line-remove", 302, 403, 403, 403, 302),
    ("get", "finance:invoice-discount", 302, 405, 405, 405, 405),
    ("post", "finance:invoice-discount", 302, 403, 403, 403, 200),
    ("get", "finance:invoice-issue", 302, 405, 405, 405, 405),
    ("post", "finance:invoice-issue", 302, 403, 403, 403, 302),
    ("get", "finance:invoice-delete", 302, 405, 405, 405, 405),
    ("post", "finance:invoice-delete", 302, 403, 403, 403, 302),
    ("get", "finance:invoice-void", 302, 405, 405, 405, 405),
    ("post", "finance:invoice-void", 302, 403, 403, 403, 200),
    ("get", "finance:invoice-credit", 302, 405, 405, 405, 405),
    ("post", "finance:invoice-credit", 302, 403, 403, 403, 200),
    ("get", "finance:payments-export", 302, 403, 403, 403, 200),
    ("post", "finance:payments-export", 302, 405, 405, 405, 405),
    ("get", "finance:payment-allocate", 302, 405, 405, 405, 405),
    ("post", "finance:payment-allocate", 302, 403, 403, 403, 200),
    ("get", "finance:payer", 302, 403, 403, 403, 200),
    ("post", "finance:payer", 302, 403, 403, 403, 200),
    ("get", "finance:balances-export", 302, 403, 403, 403, 200),
    ("post", "finance:balances-export", 302, 405, 405, 405, 405),
    ("get", "finance:tutor-pay-export", 302, 403, 403, 403, 200),
    ("post", "finance:tutor-pay-export", 302, 405, 405, 405, 405),
    ("get", "finance:tutor-pay-lines", 302, 403, 403, 403, 200),
    ("post", "finance:tutor-pay-lines", 302, 405, 405, 405, 405),
    ("get", "finance:rate-remove", 302, 405, 405, 405, 405),
    ("post", "finance:rate-remove", 302, 403, 403, 403, 302),
    ("get", "messaging:thread", 302, 404, 200, 200, 404),
    ("get", "reports:report", 302, 403, 403, 200, 200),
    ("post", "reports:report", 302, 405, 405, 405, 405),
    ("get", "reports:export", 302, 403, 403, 200, 200),
    ("post", "reports:export", 302, 405, 405, 405, 405),
    ("post", "messaging:thread", 302, 404, 200, 200, 404),
]


def person(role, people, other_tutor):
    return other_tutor if role == "owner" else people[role]


def fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if filled != value and filled.isdigit() else filled
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    return value


# Path parts that are names, not ids: an operational report and a money report.
NAMED = {"report": "sessions", "money_report": "revenue"}


def api_call(client, method, path, body, world, headers):
    world = {**NAMED, **world}
    kwargs = {}
    if body == CSV:
        upload = SimpleUploadedFile("pupils.csv", b"first_name,last_name\nAna,Bee\n", "text/csv")
        kwargs = {"data": {"file": upload}}
    elif body is not None:
        kwargs = {"content_type": "application/json", "data": json.dumps(fill(body, world))}
    with transaction.atomic():
        response = getattr(client, method)("/api/v1" + path.format(**world), **kwargs, **headers)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_answers_each_role_as_the_table_says(
    client, world, people, other_tutor, bearer, role
):
    user = person(role, people, other_tutor)
    headers = bearer(user) if user else {}
    column = 3 + ROLES.index(role)
    wrong = {}
    for row in API:
        method, path, body, expected = *row[:3], row[column]
        response = api_call(client, method, path, body, world, headers)
        if response.status_code != expected:
            wrong[f"{method.upper()} {path}"] = (response.status_code, response.content[:200])
    assert wrong == {}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_with_an_id_answers_each_role_as_the_table_says(
    client, world, people, other_tutor, role
):
    user = person(role, people, other_tutor)
    if user:
        client.force_login(user)
    urls = {page.name: page.url(world) for page in all_pages()}
    column = 2 + ROLES.index(role)
    wrong = {}
    for row in PAGES:
        method, name, expected = row[0], row[1], row[column]
        with transaction.atomic():
            response = getattr(client, method)(urls[name])
            transaction.set_rollback(True)
        if response.status_code != expected:
            wrong[f"{method.upper()} {urls[name]}"] = response.status_code
    assert wrong == {}


def test_a_refused_id_looks_exactly_like_a_missing_one(client, world, tutor, bearer):
    """The 404 for another tutor's object is the 404 for an id that does not exist."""
    headers = bearer(tutor)
    missing = {key: 999999 if isinstance(value, int) else "api-999999"
               for key, value in world.items()}  # fmt: skip
    tutor_column = 3 + ROLES.index("tutor")
    compared = 0
    for method, path, body, *statuses in API:
        if statuses[tutor_column - 3] != 404:
            continue
        theirs = api_call(client, method, path, body, world, headers)
        nothing = api_call(client, method, path, body, missing, headers)
        assert (theirs.status_code, theirs.json()["detail"]) == (
            nothing.status_code, nothing.json()["detail"],
        ), path  # fmt: skip
        compared += 1
    assert compared >= 20


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/students", "student"),
        ("/sessions?start=2031-03-01T00:00:00Z&end=2031-04-01T00:00:00Z", "session"),
        ("/threads", "thread"),
        ("/notifications", None),
    ],
)
def test_lists_do_not_carry_another_tutors_objects(
    client, world, tutor, other_tutor, bearer, path, key
):
    def ids(user) -> set[int]:
        response = client.get("/api/v1" + path, **bearer(user))
        assert response.status_code == 200, response.content
        body = response.json()
        return {item["id"] for item in (body["results"] if isinstance(body, dict) else body)}

    theirs, seen_by_tutor = ids(other_tutor), ids(tutor)
    assert theirs, "the owner's list is empty: the test would prove nothing"
    if key is not None:
        assert world[key] in theirs
    assert not theirs & seen_by_tutor


def test_every_api_endpoint_is_in_an_access_table(client):
    """A new endpoint without a row here (or in the finance table) fails this test."""
    documented = {
        (method, path.removeprefix("/api/v1"))
        for path, operations in client.get("/api/v1/openapi.json").json()["paths"].items()
        for method in operations
    }
    names = {
        "user": "{user_id}", "spare": "{user_id}", "student": "{student_id}",
        "window": "{window_id}", "tutor_window": "{window_id}",
        "time_off": "{time_off_id}", "tutor_time_off": "{time_off_id}",
        "session": "{session_id}", "logged": "{session_id}", "thread": "{thread_id}",
        "closure": "{closure_id}", "invoice": "{invoice_id}", "line": "{line_id}",
        "payer": "{payer_id}", "payment": "{payment_id}", "rate": "{rate_id}",
        "branch": "{obj_id}", "school": "{obj_id}", "subject": "{obj_id}",
        "signin": "{session_id}", "draft": "{invoice_id}", "issued": "{invoice_id}",
        "report": "{slug}", "money_report": "{slug}",
    }  # fmt: skip
    covered = {(method, path.split("?")[0].format(**names)) for method, path, *_ in API}
    covered |= {
        (method, "/finance" + path.split("?")[0].format(**names))
        for method, path, *_ in FINANCE_ENDPOINTS
    }
    assert documented - covered == set()


def test_every_page_with_an_id_is_in_the_table():
    with_ids = {page.name for page in all_pages() if page.params}
    assert with_ids - {name for _, name, *_ in PAGES} == set()


@pytest.mark.parametrize("where", ["api", "page"])
def test_deleting_a_tutor_who_has_sessions_is_refused_not_a_crash(
    client, world, admin, bearer, where
):
    client.raise_request_exception = False
    if where == "api":
        response = client.delete(f"/api/v1/users/{world['user']}", **bearer(admin))
        assert response.status_code == 409
    else:
        client.force_login(admin)
        response = client.post(f"/accounts/users/{world['user']}/delete/")
        assert response.status_code == 200
        assert "deactivate it instead" in response.content.decode()
