"""Production mode, in a process of its own: the deploy check is clean, the API docs are
for signed-in staff only, HSTS is sent, and an error page shows no traceback."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG_KEYS = {
    "ENVIRONMENT", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
    "HTTPS", "TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE", "FIELD_ENCRYPTION_KEYS", "NUM_PROXIES",
    "REQUIRE_ADMIN_2FA",
}  # fmt: skip
HOST = "tutoring.example.com"

# Run inside `manage.py shell`: a fresh database, three people, then requests through
# Django's test client (HTTPS, the production host) and a view that crashes.
SCRIPT = f"""
import json, sys, types
from django.test import Client, override_settings
from django.urls import path
from tracker.accounts.models import User

# Tables straight from the models, as `pytest --nomigrations` does: many times quicker
# than replaying every migration, and the same schema.
from django.apps import apps
from django.db import connection
with connection.schema_editor() as editor:
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            editor.create_model(model)
people = {{role: User.objects.create_user(role, role=role, password="x" * 20)
          for role in ("tutor", "moderator")}}

def crash(request):
    raise ZeroDivisionError("secret-detail-in-the-traceback")

crashing = types.ModuleType("crashing_urls")
from config.urls import urlpatterns
crashing.urlpatterns = [path("boom/", crash), path("api/v1/boom", crash), *urlpatterns]
sys.modules["crashing_urls"] = crashing

def get(url, person=None):
    client = Client(raise_request_exception=False)
    if person:
        client.force_login(people[person])
    response = client.get(url, secure=True, HTTP_HOST="{HOST}")
    return {{"status": response.status_code, "headers": dict(response.headers),
             "body": response.content.decode(errors="replace")}}

out = {{
    "docs": {{who: get("/api/v1/docs", who)["status"]
              for who in (None, "tutor", "moderator")}},
    "schema": get("/api/v1/openapi.json")["status"],
    "home": get("/"),
    "plain_http": Client().get("/", HTTP_HOST="{HOST}").status_code,
}}
with override_settings(ROOT_URLCONF="crashing_urls"):
    out["page_500"] = get("/boom/")
    out["api_500"] = get("/api/v1/boom")
print("RESULT" + json.dumps(out))
"""


def production_env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_KEYS}
    return {
        **clean,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "FIELD_ENCRYPTION_KEYS": "q0yQ0Ak7OBvI0bD2gqzYn6m0oVQ2ZcF1iVt2Wb2oWl0=",
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    env = production_env(tmp_path_factory.mktemp("production"))
    # Static files are not collected here (a minute of compression): TESTING keeps the
    # plain storage, and changes nothing else that this test looks at.
    result = manage({**env, "TESTING": "1"}, "shell", "-c", SCRIPT)
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT"))
    return json.loads(line.removeprefix("RESULT"))


def test_the_deploy_check_is_clean(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_api_docs_are_for_signed_in_staff_only(production):
    assert production["docs"] == {"null": 404, "tutor": 404, "moderator": 200}


def test_the_schema_stays_public_for_the_apps(production):
    assert production["schema"] == 200


def test_https_is_required_and_remembered(production):
    assert production["plain_http"] == 301
    hsts = production["home"]["headers"]["Strict-Transport-Security"]
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert "Permissions-Policy" in production["home"]["headers"]


@pytest.mark.parametrize("where", ["page_500", "api_500"])
def test_an_error_shows_no_traceback(production, where):
    response = production[where]
    assert response["status"] == 500
    for leak in ("Traceback", "ZeroDivisionError", "secret-detail", 'File "', "/work/"):
        assert leak not in response["body"]
    if where == "api_500":
        assert response["headers"]["Content-Type"] == "application/problem+json"
    else:
        assert "Something went wrong" in response["body"]
