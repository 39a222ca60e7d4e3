"""Logs: one JSON object per line with the request id, one access line per request, and
nothing in them that could identify a person or open a link."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.core.observability import RequestIdFilter, json_formatter

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines():
    """What the JSON handler of settings.LOGGING writes, per logger name asked for."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())
    attached = []

    def capture(*names: str):
        for name in names:
            logging.getLogger(name).addHandler(handler)
            attached.append(name)

        def lines() -> list[dict]:
            return [json.loads(line) for line in stream.getvalue().splitlines()]

        return lines

    yield capture
    for name in attached:
        logging.getLogger(name).removeHandler(handler)


@pytest.mark.django_db
def test_each_request_writes_one_json_access_line_with_its_request_id(client, json_lines):
    lines = json_lines("tracker.access")
    response = client.get("/accounts/login/?next=/students/")
    (line,) = lines()
    assert line["request_id"] == response["X-Request-ID"]
    assert line["level"] == "INFO"
    assert line["logger"] == "tracker.access"
    assert line["time"].endswith("+00:00")
    assert line["method"] == "GET"
    assert line["path"] == "/accounts/login/"  # never the query string
    assert line["route"] == "accounts:login"
    assert line["status"] == 200
    assert line["duration_ms"] > 0
    assert line["message"].startswith("GET /accounts/login/ 200 ")


def test_a_proxys_request_id_is_kept(client, json_lines):
    lines = json_lines("tracker.access")
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="from-the-proxy-42")
    assert lines()[0]["request_id"] == "from-the-proxy-42"


def test_logs_written_while_answering_carry_the_request_id(client, json_lines):
    lines = json_lines("django.request")
    response = client.get("/no-such-page/?q=Palesa")
    (warning,) = lines()
    assert warning["message"].startswith("Not Found")
    assert warning["request_id"] == response["X-Request-ID"]
    assert "Palesa" not in json.dumps(warning)  # Django's record holds the whole request


def test_logs_outside_a_request_have_no_request_id(json_lines):
    lines = json_lines("tracker.test")
    logging.getLogger("tracker.test").warning("from a command")
    assert "request_id" not in lines()[0]


@pytest.mark.django_db
def test_a_calendar_feed_secret_never_reaches_the_access_log(client, json_lines):
    lines = json_lines("tracker.access")
    client.get("/calendar/ics/a-secret-feed-key.ics")
    (line,) = lines()
    assert "a-secret-feed-key" not in json.dumps(line)
    assert line["path"] == "/calendar/ics/<slug:secret>.ics"


def test_probes_and_scrapes_are_not_in_the_access_log(client, json_lines):
    lines = json_lines("tracker.access")
    client.get("/healthz")
    assert lines() == []


def django_logs(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import django, logging; django.setup(); logging.getLogger('tracker.x').warning('hi')"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_log_format_chooses_json_or_text():
    as_json = django_logs({"LOG_FORMAT": "json"})
    assert json.loads(as_json.stderr.strip().splitlines()[-1])["message"] == "hi"
    as_text = django_logs({"LOG_FORMAT": "text"})
    assert as_text.stderr.strip().splitlines()[-1].endswith("WARNING tracker.x hi")
    refused = django_logs({"LOG_FORMAT": "xml"})
    assert refused.returncode != 0
    assert "LOG_FORMAT" in refused.stderr


def test_production_logs_json_and_serves_metrics_to_nobody_by_default():
    from tests.core.test_settings import PRODUCTION, settings_value

    assert settings_value(PRODUCTION, "[s.LOG_FORMAT, s.METRICS_ALLOWED_NETWORKS]") == [
        "json",
        [],
    ]
