"""/metrics: who may read it, what it counts (by route, never by path), and the dashboard."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import DatabaseError
from django.db.models import QuerySet
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from tests.attendance.test_logging import log
from tests.factories import SubjectFactory
from tests.students.conftest import StudentFactory
from tracker.core import metrics

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "students-tracker.json"
TOKEN = "a-metrics-token-of-more-than-32-characters"
OUTSIDE = "203.0.113.9"


@pytest.fixture
def past_session(moderator, tutor):
    """A session of `tutor`'s that ended before now, ready to be logged."""
    from tracker.scheduling.services import session_create

    student, subject = StudentFactory(tutors=[tutor]), SubjectFactory()

    def make(hours_ago: int):
        start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=hours_ago)
        return session_create(
            actor=moderator,
            start=start,
            end=start + timedelta(hours=1),
            tutor=tutor,
            students=[student],
            subject=subject,
        )

    return make


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client, **extra) -> dict[str, list]:
    """Every sample of /metrics, parsed back by prometheus_client: name → samples."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        samples.setdefault(family.name, [])
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


# --- who may read it -----------------------------------------------------------------------


@pytest.mark.django_db
def test_loopback_reads_the_metrics_without_a_token(client):
    samples = scrape(client)
    assert "tracker_http_requests_total" in samples
    assert "tracker_logs_pending_verification" in samples
    assert "Cache-Control" in client.get("/metrics")  # never cached by a proxy


def test_another_address_is_refused(client):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 403
    assert b"tracker_" not in response.content


def test_behind_a_proxy_the_forwarded_address_decides(client, settings):
    # The proxy itself is on loopback; the client it forwards for is not.
    settings.NINJA_NUM_PROXIES = 1
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR=OUTSIDE)
    assert response.status_code == 403


@pytest.mark.django_db
def test_allowed_networks_are_configurable(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 200
    assert client.get("/metrics").status_code == 403  # loopback is no longer listed


@pytest.mark.django_db
def test_with_a_token_only_the_token_opens_it_from_anywhere(client, settings):
    settings.METRICS_TOKEN = TOKEN
    refused = client.get("/metrics")  # not even loopback without it
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert "tracker_http_requests_total" in scrape(
        client, REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )


def test_with_neither_a_token_nor_networks_there_are_no_metrics(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 404


def test_metrics_are_read_only(client):
    assert client.post("/metrics").status_code == 405


@pytest.mark.django_db
def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(client):
    response = client.get("/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0")
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.endswith(b"# EOF\n")


# --- what it counts --------------------------------------------------------------------------


def test_requests_are_counted_by_route_name_not_by_path(client, moderator):
    student = StudentFactory()
    client.force_login(moderator)
    labels = {"route": "students:detail", "method": "GET", "status": "200"}
    before = value("tracker_http_requests_total", **labels)
    timed = value("tracker_http_request_duration_seconds_count", route="students:detail")
    queries = value("tracker_db_queries_total", route="students:detail")
    db_time = value("tracker_db_query_seconds_total", route="students:detail")

    assert client.get(f"/students/{student.pk}/").status_code == 200

    assert value("tracker_http_requests_total", **labels) == before + 1
    assert value("tracker_http_request_duration_seconds_count", route="students:detail") == (
        timed + 1
    )
    assert value("tracker_db_queries_total", route="students:detail") > queries
    assert value("tracker_db_query_seconds_total", route="students:detail") > db_time
    routes = {
        sample.labels["route"]
        for sample in scrape(client)["tracker_http_requests_total"]
        if "route" in sample.labels
    }
    assert "students:detail" in routes
    assert not [route for route in routes if "/" in route]  # no raw path became a label


def test_unknown_paths_and_methods_share_one_label_each(client):
    unmatched = value("tracker_http_requests_total", route="unmatched", method="GET", status="404")
    client.get("/no-such-page/12345/")
    client.get("/no-such-page/67890/")
    assert value("tracker_http_requests_total", route="unmatched", method="GET", status="404") == (
        unmatched + 2
    )
    other = value("tracker_http_requests_total", route="healthz", method="other", status="405")
    client.generic("BREW", "/healthz")
    assert value("tracker_http_requests_total", route="healthz", method="other", status="405") == (
        other + 1
    )


@pytest.mark.django_db
def test_a_wrong_password_counts_as_a_sign_in_failure(client, tutor):
    before = value("tracker_signin_failures_total", reason="credentials")
    response = client.post("/accounts/login/", {"username": "tutor", "password": "wrong"})
    assert response.status_code == 200  # the form again, with the error
    assert value("tracker_signin_failures_total", reason="credentials") == before + 1


@pytest.mark.django_db
def test_attempts_during_a_lockout_count_apart(client, tutor, settings):
    settings.AXES_FAILURE_LIMIT = 2
    before = value("tracker_signin_failures_total", reason="locked_out")
    for _ in range(3):
        client.post("/accounts/login/", {"username": "tutor", "password": "wrong"})
    assert value("tracker_signin_failures_total", reason="locked_out") >= before + 1


@pytest.mark.django_db
def test_a_refused_api_token_counts_as_a_sign_in_failure(client):
    before = value("tracker_signin_failures_total", reason="token")
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer sta_not-a-token")
    assert response.status_code == 401
    assert value("tracker_signin_failures_total", reason="token") == before + 1


def test_offline_logs_count_once_when_applied(
    client, tutor, past_session, bearer, django_capture_on_commit_callbacks
):
    session = past_session(2)
    headers = bearer(tutor)
    before = value("tracker_offline_logs_total", result="applied")
    with django_capture_on_commit_callbacks(execute=True):
        assert log(client, headers, session, key="device-1:1").status_code == 200
        assert log(client, headers, session, key="device-1:1").status_code == 200
    assert value("tracker_offline_logs_total", result="applied") == before + 1


def test_an_offline_log_refused_by_a_conflict_is_not_counted_as_applied(
    client, tutor, past_session, bearer, django_capture_on_commit_callbacks
):
    session = past_session(2)
    before = value("tracker_offline_logs_total", result="applied")
    with django_capture_on_commit_callbacks(execute=True):
        response = log(
            client, bearer(tutor), session, key="device-1:2", expected_start="2001-01-01T10:00Z"
        )
    assert response.status_code == 409
    assert value("tracker_offline_logs_total", result="applied") == before


def test_cache_and_replay_helpers_count():
    hits = value("tracker_cache_requests_total", cache="test", result="hit")
    misses = value("tracker_cache_requests_total", cache="test", result="miss")
    replays = value("tracker_offline_logs_total", result="replayed")
    metrics.cache_hit("test")
    metrics.cache_hit("test")
    metrics.cache_miss("test")
    metrics.offline_log_replayed()
    assert value("tracker_cache_requests_total", cache="test", result="hit") == hits + 2
    assert value("tracker_cache_requests_total", cache="test", result="miss") == misses + 1
    assert value("tracker_offline_logs_total", result="replayed") == replays + 1


def test_logs_waiting_for_verification_are_counted_at_scrape_time(
    client, tutor, past_session, bearer
):
    for hours in (2, 5):
        log(client, bearer(tutor), past_session(hours))
    samples = scrape(client)
    assert samples["tracker_logs_pending_verification"][0].value == 2
    assert samples["tracker_logs_pending_oldest_age_seconds"][0].value > 0


@pytest.mark.django_db
def test_metrics_still_answer_while_the_database_is_down(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(QuerySet, "aggregate", unreachable)
    samples = scrape(client)
    assert "tracker_http_requests_total" in samples
    assert "tracker_logs_pending_verification" not in samples


# --- several worker processes ------------------------------------------------------------------

WORKERS = textwrap.dedent(
    """
    import os, django
    django.setup()
    from django.test import Client
    child = os.fork()  # a second worker: its own process, its own counts
    Client().get("/healthz", HTTP_HOST="127.0.0.1")
    if child:
        os.waitpid(child, 0)
    else:
        os._exit(0)
    """
)


def test_every_workers_requests_add_up_in_multiprocess_mode(tmp_path, monkeypatch):
    directory = tmp_path / "prometheus"
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ACCESS_LOG": "false",
    }
    subprocess.run([sys.executable, "-c", WORKERS], cwd=ROOT, env=env, check=True, timeout=60)
    assert len(list(directory.glob("counter_*.db"))) == 2  # one file per worker
    # This process reads the workers' files, as a worker answering a scrape does.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    registry = metrics.scrape_registry()
    total = registry.get_sample_value(
        "tracker_http_requests_total", {"route": "healthz", "method": "GET", "status": "200"}
    )
    assert total == 2


# --- the dashboard ---------------------------------------------------------------------------


def test_the_dashboard_queries_only_metrics_that_exist(
    client, tutor, past_session, bearer, django_capture_on_commit_callbacks
):
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["__inputs"][0]["name"] == "DS_PROMETHEUS"
    expressions = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {"${DS_PROMETHEUS}"}
    titles = " ".join(panel["title"] for panel in dashboard["panels"]).lower()
    for subject in ("p50", "p95", "error rate", "throughput", "cache", "sign-in", "pending"):
        assert subject in titles.replace("waiting", "pending"), subject
    # Make every kind of sample exist at least once, then scrape.
    with django_capture_on_commit_callbacks(execute=True):
        log(client, bearer(tutor), past_session(2), key="device-9:1")
    metrics.cache_hit("test")
    client.post("/accounts/login/", {"username": "tutor", "password": "wrong"})
    samples = scrape(client)
    used = {name for expr in expressions for name in re.findall(r"\btracker_[a-z_]+", expr)}
    assert used  # the pattern found the metric names
    assert used - samples.keys() == set()
