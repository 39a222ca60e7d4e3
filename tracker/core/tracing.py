"""OpenTelemetry tracing, switched on by its standard environment variables; off by default.

`start()` runs in config/wsgi.py and config/asgi.py before the application loads. Tracing
starts when OTEL_TRACES_EXPORTER names an exporter (`otlp`, `console`, comma-separated) or
an OTLP endpoint is given (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
unless OTEL_SDK_DISABLED=true. The SDK reads everything else itself: OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG), OTEL_EXPORTER_OTLP_HEADERS, OTEL_BSP_*,
OTEL_PYTHON_DJANGO_EXCLUDED_URLS. `otlp` is OTLP over HTTP (protobuf), the exporter shipped.
Spans: one per request (named by route) and one per PostgreSQL query.

Without those variables nothing of OpenTelemetry is imported: a look at the environment
is the whole cost.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DEFAULT_SERVICE_NAME = "students-tracker"
# Probes and scrapes every few seconds would crowd out the traces worth reading.
DEFAULT_EXCLUDED_URLS = "healthz,readyz,metrics"
# The OTLP exporter installed is the HTTP one; "otlp" is the name the specification uses.
_EXPORTER_ALIASES = {"otlp": "otlp_proto_http"}


def requested(environ: Mapping[str, str] = os.environ) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _exporter_names(environ: Mapping[str, str]) -> list[str]:
    names = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() or "otlp"
    return [_EXPORTER_ALIASES.get(name, name) for n in names.split(",") if (name := n.strip())]


def start(environ: Mapping[str, str] = os.environ) -> bool:
    """Install a tracer provider and instrument Django when the environment asks for it."""
    if not requested(environ):
        return False
    from importlib.metadata import entry_points

    from opentelemetry import trace
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    # The sampler comes from OTEL_TRACES_SAMPLER when set (parent-based, always on if not).
    provider = TracerProvider(resource=resource)
    for name in _exporter_names(environ):
        found = entry_points(group="opentelemetry_traces_exporter", name=name)
        if not found:
            raise RuntimeError(f"OTEL_TRACES_EXPORTER names {name!r}: no such exporter installed")
        exporter_class = next(iter(found)).load()
        provider.add_span_processor(BatchSpanProcessor(exporter_class()))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument(
        excluded_urls=environ.get("OTEL_PYTHON_DJANGO_EXCLUDED_URLS", DEFAULT_EXCLUDED_URLS)
    )
    # A span per PostgreSQL query, its statement without the values (no personal data).
    PsycopgInstrumentor().instrument(capture_parameters=False)
    return True
