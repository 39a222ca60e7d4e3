"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis), as
each role's token and as nobody: no 500, and no response that breaks the schema.

Every operation is fuzzed with valid data (does the answer match the schema?) and with
invalid data (is it refused cleanly?), against the WSGI app in this process, on a
database holding another tutor's world so that ids point at real things. The examples
are derandomised, so CI is repeatable; FUZZ_EXAMPLES=50 explores further by hand.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
# Per operation and generation mode. Small, because the whole file must run in about a
# minute and a half on two cores; schemathesis spends most of it generating data.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
# What the PostgreSQL pass adds is the database's answer to the fuzzed data (a NUL byte, a
# number out of range); an admin gets past every permission check, so the data reaches the
# queries behind every operation. The other roles differ by those checks, which are the
# same on both databases: SQLite pass only.
SQLITE_PASS_ONLY = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="fuzzed as admin on this database"
)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@pytest.fixture(scope="module")
def schema():
    from config.api import api

    # The document the app serves, read without a request (no database outside a test).
    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema())
    loaded.app = WSGIHandler()
    # As Django's test client does: a request must not close the test's connection (and
    # with it the transaction that holds the test's data, on PostgreSQL).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield loaded
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def fuzz(operation, headers: dict[str, str], mode: GenerationMode, examples: int) -> list[str]:
    failures = []

    @settings(
        max_examples=examples, deadline=None, database=None, derandomize=True,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, FailureGroup) as error:
            failures.append(f"{operation.label} ({mode.value}): {error}")

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid (no parameters, no body): the positive run covered it.
        assert mode == GenerationMode.NEGATIVE
    return failures


def operations(schema, role: str):
    for result in schema.get_all_operations():
        operation = result.ok()
        # Without a token only the open operations get past the sign-in check, which
        # runs before any parameter is read; one refusal each is enough for the rest.
        if role == "anonymous" and operation.definition.raw.get("security"):
            yield operation, (GenerationMode.POSITIVE,), 1
        else:
            yield operation, MODES, EXAMPLES


@pytest.mark.parametrize(
    "role",
    [
        "anonymous",
        pytest.param("tutor", marks=SQLITE_PASS_ONLY),
        pytest.param("moderator", marks=SQLITE_PASS_ONLY),
        "admin",
    ],
)
def test_the_api_survives_fuzzing(schema, world, people, bearer, settings, role):
    # The fuzzer sends thousands of requests on one token: rate limits are not under test.
    settings.API_RATE_LIMIT_USER = settings.API_RATE_LIMIT_ANON = "1000000/m"
    headers = {}
    if people[role]:
        headers = {"Authorization": bearer(people[role])["HTTP_AUTHORIZATION"]}
    failures = []
    for operation, modes, examples in operations(schema, role):
        for mode in modes:
            failures += fuzz(operation, headers, mode, examples)
    assert failures == []


def test_a_time_of_day_with_a_utc_offset_is_refused_not_a_crash(client, tutor, bearer):
    body = {"weekday": 1, "start": "09:00:00+02:00", "end": "10:00:00+02:00"}
    response = client.post(
        "/api/v1/me/availability", body, content_type="application/json", **bearer(tutor)
    )
    assert response.status_code == 422
    assert "without a UTC offset" in response.content.decode()


def test_an_id_beyond_64_bits_is_refused_not_a_crash(client, moderator, bearer):
    body = {"session_ids": [2**64]}
    response = client.post(
        "/api/v1/attendance/verify", body, content_type="application/json", **bearer(moderator)
    )
    # SQLite cannot hold the number (422); PostgreSQL simply finds no such session (200).
    assert response.status_code in {200, 422}
    assert response.headers["Content-Type"].startswith("application/")


def test_a_server_error_is_caught_by_the_checks(schema, tutor, bearer, monkeypatch):
    """The fuzzing can fail: a 500 is reported by the checks."""
    from tracker.students import availability

    def crash(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(availability, "availability_add", crash)
    operation = schema["/api/v1/me/availability"]["POST"]
    case = operation.Case(body={"weekday": 1, "start": "09:00:00", "end": "10:00:00"})
    headers = {"Authorization": bearer(tutor)["HTTP_AUTHORIZATION"]}
    response = case.call(headers=headers)
    with pytest.raises(FailureGroup):
        case.validate_response(response, checks=CHECKS, headers=headers)
