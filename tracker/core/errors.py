"""Domain errors that services raise; the API and the pages turn them into responses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    # Security bookkeeping done before the refusal (a revoked token family, a counted failed
    # sign-in) must survive the error response instead of being rolled back with the request.
    keeps_writes = False

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class Conflict(DomainError):
    """The request clashes with the current state (double booking, stale edit)."""

    status = 409


class NotAuthenticated(DomainError):
    """Credentials or a token were refused."""

    status = 401
    keeps_writes = True
