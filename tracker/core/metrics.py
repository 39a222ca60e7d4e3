"""Prometheus metrics: what the app counts, and `/metrics`, where a scraper reads them.

Requests and database use are counted by `tracker.core.observability.ObservabilityMiddleware`,
labelled by route (the URL pattern's name, such as `students:detail`) and never by raw path,
so that the number of series stays bounded whatever clients ask for. The rest is counted
where it happens: sign-in failures from Django's signal, offline session logs from their
receipts, cache use through `cache_hit()` / `cache_miss()`; logs waiting for verification
are counted by the database at scrape time.

Several worker processes (granian `--workers 2`) each count their own requests. With
PROMETHEUS_MULTIPROC_DIR set (an empty directory, emptied again before the server starts),
prometheus_client keeps the counts in files there and `/metrics` adds up every worker's;
without it, each process reports its own.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import DatabaseError, transaction
from django.db.models import Count, Min
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    multiprocess,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from tracker.core.request_context import client_ip

logger = logging.getLogger(__name__)

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    # prometheus_client opens its files there as soon as a metric is made.
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

# A `_created` timestamp per series doubles the output and no panel uses it.
disable_created_metrics()

# From a cached page (a few ms) to a slow export; the load target is p95 < 100 ms.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "tracker_http_requests",
    "HTTP requests answered, by route, method and status code.",
    ["route", "method", "status"],
)
REQUEST_DURATION = Histogram(
    "tracker_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response is handed to the server), by route.",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
DB_QUERIES = Counter(
    "tracker_db_queries", "Database queries run while answering requests, by route.", ["route"]
)
DB_QUERY_SECONDS = Counter(
    "tracker_db_query_seconds",
    "Time spent in database queries while answering requests, by route.",
    ["route"],
)
CACHE_REQUESTS = Counter(
    "tracker_cache_requests",
    "Reads of cached values, by cache and result (hit or miss).",
    ["cache", "result"],
)
SIGNIN_FAILURES = Counter(
    "tracker_signin_failures",
    "Refused sign-ins: wrong credentials, refused during a lockout, or an API token refused.",
    ["reason"],
)
OFFLINE_LOGS = Counter(
    "tracker_offline_logs",
    "Session logs sent with a client id (the offline queue): applied, or replays answered "
    "from the stored result.",
    ["result"],
)


def cache_hit(name: str) -> None:
    """Count a read of the cache `name` that found its value (`name` is a fixed word such as
    "calendar_feed", never a key: each name is a series)."""
    CACHE_REQUESTS.labels(name, "hit").inc()


def cache_miss(name: str) -> None:
    CACHE_REQUESTS.labels(name, "miss").inc()


def offline_log_replayed() -> None:
    """Count a session log whose client id was already applied (answered from its receipt)."""
    OFFLINE_LOGS.labels("replayed").inc()


def signin_failed(reason: str) -> None:
    SIGNIN_FAILURES.labels(reason).inc()


@receiver(user_login_failed, dispatch_uid="metrics_signin_failed")
def _on_signin_failed(sender: Any, credentials: dict[str, Any], request=None, **kwargs) -> None:
    # django-axes marks the request when the attempt was refused because of a lockout (or
    # started one); it sends its own signal too, but only this one fires once per attempt.
    locked = request is not None and getattr(request, "axes_locked_out", False)
    signin_failed("locked_out" if locked else "credentials")


# By name rather than by class: this module loads with the logging configuration, before
# the models may be imported.
@receiver(post_save, sender="attendance.LogReceipt", dispatch_uid="metrics_offline_log")
def _on_log_receipt(sender: Any, created: bool, using: str, **kwargs: Any) -> None:
    # A log that fails (a conflict) rolls its receipt back with it: count only what stays.
    if created:
        transaction.on_commit(OFFLINE_LOGS.labels("applied").inc, using=using)


class _PendingLogs:
    """Logs waiting for a moderator's verification, counted when scraped: one indexed
    query every scrape instead of bookkeeping on every write."""

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        from tracker.attendance.models import Review, SessionLog

        try:
            pending = SessionLog.objects.filter(review=Review.PENDING).aggregate(
                count=Count("pk"), oldest=Min("logged_at")
            )
        except DatabaseError as error:
            # The rest of the metrics still say something useful while the database is down.
            logger.warning("Could not count the logs waiting for verification: %s", error)
            return
        yield GaugeMetricFamily(
            "tracker_logs_pending_verification",
            "Session logs waiting for verification.",
            value=pending["count"],
        )
        oldest = pending["oldest"]
        yield GaugeMetricFamily(
            "tracker_logs_pending_oldest_age_seconds",
            "Age of the oldest session log waiting for verification (0 when none waits).",
            value=(timezone.now() - oldest).total_seconds() if oldest else 0,
        )


class _ThisProcess:
    """This process's default registry (single-process mode), inside the scrape registry."""

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    # Read at scrape time, so that a test can point it at another process's files.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if directory:
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ThisProcess())
    registry.register(_PendingLogs())
    return registry


_TEXT = "text/plain; charset=utf-8"


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the caller may read the metrics: with METRICS_TOKEN set, whoever presents
    it; without, clients in METRICS_ALLOWED_NETWORKS; with neither, nobody (404)."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return None
        response = HttpResponse("A metrics token is required.\n", status=401, content_type=_TEXT)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    networks = _networks(tuple(settings.METRICS_ALLOWED_NETWORKS))
    if not networks:
        raise Http404
    address = client_ip(request)
    if address is not None and any(ipaddress.ip_address(address) in net for net in networks):
        return None
    return HttpResponse("Metrics are not served to this address.\n", status=403, content_type=_TEXT)


# Outside ATOMIC_REQUESTS: a scrape opens no transaction, and still answers (without the
# database's figures) while the database is down.
@transaction.non_atomic_requests
@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(scrape_registry()), content_type=content_type)
