"""Shared by the cache tests of the calendar feed and the dashboards (their fixtures,
`mode` and `committed`, are in tests/conftest.py)."""

from __future__ import annotations


def reads(captured) -> list[str]:
    """The queries of a request but its own transaction (a savepoint inside the test's)."""
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
