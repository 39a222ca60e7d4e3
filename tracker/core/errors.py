"""Domain errors that services raise; the API and the pages turn them into responses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class Conflict(DomainError):
    """The request clashes with the current state (double booking, stale edit)."""

    status = 409
