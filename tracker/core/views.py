from __future__ import annotations

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tracker.core.problems import problem_response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # The calendar is the product's home screen once signed in.
    if request.user.is_authenticated:
        return redirect("calendar:index")
    return render(request, "core/home.html")


@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


# Outside ATOMIC_REQUESTS: opening the request's transaction would fail before the check runs.
@transaction.non_atomic_requests
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@transaction.non_atomic_requests
def api_not_found(request: HttpRequest) -> HttpResponse:
    return problem_response(request, 404, detail="There is no API endpoint at this address.")
