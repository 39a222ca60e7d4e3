"""Exception handlers that turn every API error into application/problem+json (RFC 9457)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from tracker.core.errors import DomainError
from tracker.core.problems import problem_response as _problem_response

logger = logging.getLogger(__name__)


def problem_response(
    request: HttpRequest, status: int, *, keep_writes: bool = False, **kwargs: Any
) -> HttpResponse:
    # ninja catches the exception inside the view, so ATOMIC_REQUESTS would commit whatever
    # was written before it: roll the request's transaction back explicitly.
    if connection.in_atomic_block and not keep_writes:
        transaction.set_rollback(True)
    return _problem_response(request, status, **kwargs)


def _field_errors(exc: ValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors:
        # loc starts with where the value came from (body, query, path); callers want the field.
        loc = [str(part) for part in error.get("loc", ()) if part not in {"body", "query", "path"}]
        errors.append(
            {
                "field": ".".join(loc[1:] if len(loc) > 1 and loc[0] == "payload" else loc),
                "message": error.get("msg", "Invalid value"),
                "code": error.get("type", "invalid"),
            }
        )
    return errors


def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem_response(
        request, 422, detail="The request has invalid fields.", errors=_field_errors(exc)
    )


def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": field, "message": message, "code": "invalid"}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": "", "message": message, "code": "invalid"} for message in exc.messages]
    return problem_response(request, 422, detail="The request has invalid fields.", errors=errors)


def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem_response(request, 401, detail="Sign in to use this endpoint.")
    response["WWW-Authenticate"] = "Bearer"
    return response


def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem_response(request, 403, detail=str(exc) or "You may not do this.")


def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, 404, detail="No such resource.")


def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = problem_response(request, 429, detail="Too many requests; try again later.")
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait))
    return response


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(request, exc.status_code, detail=str(exc))


def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = problem_response(
        request, exc.status, detail=exc.detail, extra=exc.extra, keep_writes=exc.keeps_writes
    )
    if exc.status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def on_number_out_of_range(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    # SQLite refuses integers beyond 64 bits when binding them; PostgreSQL just finds nothing.
    return problem_response(request, 422, detail=_("A number in the request is out of range."))


def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    request_id = getattr(request, "request_id", "")
    logger.exception("Unhandled API error", extra={"request_id": request_id})
    return problem_response(request, 500, detail="Something went wrong on our side.")


def install(api: NinjaAPI) -> None:
    """Register the problem+json handlers on an API (the real one, or a test one)."""
    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(DjangoValidationError, on_django_validation_error)
    api.add_exception_handler(AuthenticationError, on_authentication_error)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(Throttled, on_throttled)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(DomainError, on_domain_error)
    api.add_exception_handler(OverflowError, on_number_out_of_range)
    api.add_exception_handler(Exception, on_unexpected_error)
