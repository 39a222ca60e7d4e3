"""Shared by the cache tests (their fixtures, `mode`, `committed` and `shared_redis`, are
in tests/conftest.py)."""

from __future__ import annotations

from prometheus_client import REGISTRY

# What differs between any two answers of the same server.
PER_ANSWER = {"X-Request-ID"}


def reads(captured) -> list[str]:
    """The queries of a request but its own transaction (a savepoint inside the test's)."""
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def headers_of(response) -> dict[str, object]:
    """The headers a client acts on; Vary's values in any order."""
    seen = {k: v for k, v in response.headers.items() if k not in PER_ANSWER}
    seen["Vary"] = set(response["Vary"].replace(" ", "").split(","))
    return seen


def answered(name="api:sessions_feed", status="200") -> float:
    """How many answers /metrics has counted for this route."""
    labels = {"route": name, "method": "GET", "status": status}
    return REGISTRY.get_sample_value("tracker_http_requests_total", labels) or 0.0


def record_sets(monkeypatch, module) -> list[tuple[str, int]]:
    """Every (key, timeout) that `module` stores in the cache from now on; still stored."""
    stored = []
    real_set = module.cache.set

    def remember(key, value, timeout):
        stored.append((key, timeout))
        return real_set(key, value, timeout)

    monkeypatch.setattr(module.cache, "set", remember)
    return stored
