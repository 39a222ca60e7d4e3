"""Configuration comes from the environment, with safe defaults and a refusal to run insecurely."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db.utils import ConnectionHandler

ROOT = Path(__file__).resolve().parents[2]
CONFIG_KEYS = (
    "ENVIRONMENT", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
    "TIME_ZONE", "CURRENCY", "EMAIL_URL", "HTTPS", "TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE",
    "FIELD_ENCRYPTION_KEYS",
)  # fmt: skip
PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "tutoring.example.com",
    "DATABASE_URL": "sqlite:////tmp/students-tracker-deploy-check.sqlite3",
    "FIELD_ENCRYPTION_KEYS": "q0yQ0Ak7OBvI0bD2gqzYn6m0oVQ2ZcF1iVt2Wb2oWl0=",
}


def run_django(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_KEYS}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def settings_value(env: dict[str, str], expression: str):
    code = f"import json; from django.conf import settings as s; print(json.dumps({expression}))"
    result = run_django(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deploy_check_is_clean_with_production_settings():
    result = run_django(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "true"}, "DEBUG"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"FIELD_ENCRYPTION_KEYS": ""}, "FIELD_ENCRYPTION_KEYS"),
    ],
)
def test_production_refuses_to_start_with_an_insecure_setting(override, complaint):
    result = run_django({**PRODUCTION, **override}, "check")
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert complaint in result.stderr


def test_production_turns_on_https_protections():
    values = settings_value(
        PRODUCTION,
        "[s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS]",
    )
    assert values[:3] == [True, True, True]
    assert values[3] >= 31536000


def test_development_defaults_need_nothing_installed():
    values = settings_value(
        {},
        "[s.DATABASES['default']['ENGINE'], s.TIME_ZONE, s.CURRENCY, s.EMAIL_BACKEND, "
        "bool(s.SECRET_KEY), s.CACHES['default']['BACKEND'], s.SESSION_ENGINE]",
    )
    assert values == [
        "django.db.backends.sqlite3",
        "Africa/Johannesburg",
        "ZAR",
        "django.core.mail.backends.console.EmailBackend",
        True,
        "django.core.cache.backends.locmem.LocMemCache",
        "django.contrib.sessions.backends.db",
    ]


def test_environment_variables_override_the_defaults():
    values = settings_value(
        {
            "DATABASE_URL": "postgres://tracker:pw@db.internal:5432/tracker",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
            "TIME_ZONE": "Europe/London",
            "CURRENCY": "GBP",
            "EMAIL_URL": "smtp+tls://mailer:pw@smtp.internal:587",
        },
        "[s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], "
        "s.CACHES['default']['BACKEND'], s.SESSION_ENGINE, s.TIME_ZONE, s.CURRENCY, "
        "s.EMAIL_HOST, s.EMAIL_USE_TLS]",
    )
    assert values == [
        "django.db.backends.postgresql",
        "db.internal",
        "tracker.core.redis_cache.RedisCache",
        "django.contrib.sessions.backends.cached_db",
        "Europe/London",
        "GBP",
        "smtp.internal",
        True,
    ]


def test_time_is_stored_in_utc():
    assert settings.USE_TZ is True


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_and_waits_for_writers(tmp_path):
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(tmp_path / "probe.sqlite3"),
                "OPTIONS": settings.SQLITE_OPTIONS,
            }
        }
    )
    connection = handler["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20000
    finally:
        connection.close()
    assert settings.SQLITE_OPTIONS["transaction_mode"] == "IMMEDIATE"


def test_passwords_are_hashed_with_argon2_outside_tests():
    hasher = settings_value({}, "s.PASSWORD_HASHERS[0]")
    assert hasher == "django.contrib.auth.hashers.Argon2PasswordHasher"
