"""The JSON API: one NinjaAPI under /api/v1/, every error as application/problem+json."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

from tracker.accounts.api import auth_router, me_router, users_router
from tracker.accounts.tokens import BearerTokenAuth
from tracker.attendance.api import router as attendance_router
from tracker.audit.api import router as audit_router
from tracker.core import api_errors
from tracker.core.security import staff_only_docs_in_production
from tracker.core.throttling import api_throttles
from tracker.finance.api import router as finance_router
from tracker.messaging.api import broadcasts_router, notifications_router, threads_router
from tracker.org.api import router as org_router
from tracker.reports.api import router as reports_router
from tracker.reports.export_api import router as exports_router
from tracker.scheduling.api import router as sessions_router
from tracker.scheduling.closures_api import router as closures_router
from tracker.scheduling.ics_api import router as ics_router
from tracker.scheduling.slots_api import router as slots_router
from tracker.search.api import router as search_router
from tracker.students.api import router as students_router
from tracker.students.availability_api import router as availability_router
from tracker.students.import_api import router as student_import_router

api = NinjaAPI(
    title="Students Tracker API",
    version="1",
    description="Sessions, students, attendance and money for a tutoring business.",
    urls_namespace="api",
    # Bearer tokens for apps; the browser's session cookie for pages (CSRF checked on writes).
    auth=[BearerTokenAuth(), django_auth],
    # Per token when signed in, per client address otherwise (settings.API_RATE_LIMIT_*).
    throttle=api_throttles(),
    docs_decorator=staff_only_docs_in_production,
)
api_errors.install(api)
api.add_router("/auth", auth_router)
api.add_router("/me", me_router)
api.add_router("/users", users_router)
api.add_router("/audit", audit_router)
api.add_router("/", org_router)
# The import routes come before /students/{id} routes are matched, under their own prefix.
api.add_router("/students/import", student_import_router)
api.add_router("/students", students_router)
api.add_router("/", availability_router)
api.add_router("/sessions", sessions_router)
api.add_router("/", attendance_router)
api.add_router("/calendar", ics_router)
api.add_router("/closures", closures_router)
api.add_router("/", slots_router)
api.add_router("/finance", finance_router)
api.add_router("/threads", threads_router)
api.add_router("/broadcasts", broadcasts_router)
api.add_router("/notifications", notifications_router)
api.add_router("/reports", reports_router)
api.add_router("/exports", exports_router)
api.add_router("/search", search_router)


class ApiRoot(Schema):
    name: str
    version: str
    openapi: str
    docs: str


@api.get("/", response=ApiRoot, summary="API entry point", tags=["meta"], auth=None)
def api_root(request: HttpRequest) -> dict[str, str]:
    return {
        "name": api.title,
        "version": api.version,
        "openapi": "/api/v1/openapi.json",
        "docs": "/api/v1/docs",
    }
