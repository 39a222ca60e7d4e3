"""CSRF: every page that changes state refuses a POST without the form's token, and so
does every API write made with the browser's session cookie."""

from __future__ import annotations

import re
from functools import partial

import pytest
from django.db import transaction
from django.test import Client

from tests.security.pages import all_pages

pytestmark = pytest.mark.django_db


def rolled_back(call):
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    return response


@pytest.fixture
def posting_pages(client, admin, world) -> list[str]:
    """The pages that take a POST at all: without CSRF checks, an admin's POST is not 405."""
    client.force_login(admin)
    urls = [page.url(world) for page in all_pages()]
    return [url for url in urls if rolled_back(partial(client.post, url)).status_code != 405]


@pytest.mark.parametrize("role", ["anonymous", "tutor", "admin"])
def test_every_posting_page_refuses_a_post_without_a_csrf_token(people, world, posting_pages, role):
    guarded = Client(enforce_csrf_checks=True)
    if people[role]:
        guarded.force_login(people[role])
    accepted = {}
    for url in posting_pages:
        response = rolled_back(lambda url=url: guarded.post(url, {"name": "x"}))
        if response.status_code != 403 or b"CSRF" not in response.content:
            accepted[url] = response.status_code
    assert accepted == {}
    assert len(posting_pages) >= 40  # the sign-in, every form, every button


def test_the_same_post_with_the_token_gets_past_the_check(admin, world):
    """The refusal above is the CSRF check, not something else: with the token it passes."""
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(admin)
    guarded.get("/messages/new/")
    token = guarded.cookies["csrftoken"].value
    response = guarded.post("/messages/notifications/read/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code in {200, 204, 302}


def test_every_api_write_with_the_session_cookie_needs_the_token(admin, world, client):
    """The pages' own API calls ride on the session cookie: a forged one is refused. Apps
    with a bearer token are not exposed to CSRF (no ambient credential) and need none."""
    schema = client.get("/api/v1/openapi.json").json()
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(admin)
    checked, accepted = 0, {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in {"post", "put", "patch", "delete"} or not operation.get("security"):
                continue
            url = re.sub(r"\{\w+\}", "1", path)
            response = rolled_back(
                lambda method=method, url=url: getattr(guarded, method)(
                    url, "{}", content_type="application/json"
                )
            )
            checked += 1
            if response.status_code != 403:
                accepted[f"{method.upper()} {url}"] = response.status_code
    assert accepted == {}
    assert checked >= 60
