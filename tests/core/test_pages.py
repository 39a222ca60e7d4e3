from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_has_the_shell_landmarks(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="skip-link" href="#main"' in html
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in html
    assert '<html lang="en">' in html


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_pages_have_no_inline_script(client):
    html = client.get("/").content.decode()
    assert "<script>" not in html
    assert " on" + "click=" not in html


def test_htmx_gets_the_csrf_token_from_the_body(client):
    html = client.get("/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_every_response_has_a_request_id(client):
    response = client.get("/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"


def test_a_malformed_request_id_is_replaced(client):
    response = client.get("/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


def test_signed_in_people_land_on_the_calendar(client, tutor):
    client.force_login(tutor)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/calendar/"
