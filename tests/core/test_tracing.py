"""OpenTelemetry: off unless its standard variables ask for it, and then every request
through the WSGI application is a span named by its route."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection

from tracker.core.tracing import requested

ROOT = Path(__file__).resolve().parents[2]
OTEL_VARIABLES = ("OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
                  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_PYTHON_DJANGO_EXCLUDED_URLS",
                  "OTEL_SERVICE_NAME")  # fmt: skip

SERVE = textwrap.dedent(
    """
    import io, sys
    from wsgiref.util import setup_testing_defaults
    from config.wsgi import application

    for path in sys.argv[1:] or ("/healthz", "/api/v1/"):
        environ = {"PATH_INFO": path, "REMOTE_ADDR": "127.0.0.1"}
        setup_testing_defaults(environ)
        body = b"".join(application(environ, lambda status, headers: None))
    print("OTEL-MODULES", any(name.startswith("opentelemetry") for name in sys.modules))
    """
)


def serve(tmp_path, *paths: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in OTEL_VARIABLES}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ACCESS_LOG": "false",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", SERVE, *paths], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=60, check=True,
    )  # fmt: skip


def spans_in(output: str) -> list[dict]:
    """The console exporter's spans: indented JSON objects, one after the other."""
    decoder, spans, position = json.JSONDecoder(), [], output.find("{")
    while position != -1:
        span, end = decoder.raw_decode(output, position)
        spans.append(span)
        position = output.find("{", end)
    return spans


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, False),
        ({"OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp,console"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}, False),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "TRUE"},
            False,
        ),
    ],
)
def test_tracing_is_requested_only_by_the_standard_variables(variables, expected):
    assert requested(variables) is expected


def test_a_request_is_a_span_named_by_its_route(tmp_path):
    spans = spans_in(serve(tmp_path, OTEL_TRACES_EXPORTER="console").stdout)
    assert [span["name"] for span in spans] == ["GET api/v1/"]  # probes are left out
    (span,) = spans
    assert span["kind"] == "SpanKind.SERVER"
    assert span["attributes"]["http.route"] == "api/v1/"
    assert span["resource"]["attributes"]["service.name"] == "students-tracker"


def test_without_the_variables_opentelemetry_is_not_even_imported(tmp_path):
    result = serve(tmp_path)
    assert "OTEL-MODULES False" in result.stdout
    assert "trace_id" not in result.stdout


def test_an_unknown_exporter_stops_the_start(tmp_path):
    with pytest.raises(subprocess.CalledProcessError) as failure:
        serve(tmp_path, OTEL_TRACES_EXPORTER="zipkin-of-the-future")
    assert "no such exporter installed" in failure.value.stderr


@pytest.mark.postgres_only
def test_each_postgresql_query_is_a_child_span_without_its_values(tmp_path, db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the psycopg instrumentation")
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    result = serve(
        tmp_path,
        "/readyz",
        DATABASE_URL=url,
        OTEL_TRACES_EXPORTER="console",
        OTEL_PYTHON_DJANGO_EXCLUDED_URLS="none",
    )
    spans = {span["name"]: span for span in spans_in(result.stdout)}
    request, query = spans["GET readyz"], spans["SELECT"]
    assert query["parent_id"] == request["context"]["span_id"]
    assert query["attributes"]["db.system"] == "postgresql"
    assert "SELECT" in query["attributes"]["db.statement"]
