"""The JSON API: one NinjaAPI under /api/v1/, every error as application/problem+json."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema

from tracker.core import api_errors

api = NinjaAPI(
    title="Students Tracker API",
    version="1",
    description="Sessions, students, attendance and money for a tutoring business.",
    urls_namespace="api",
)
api_errors.install(api)


class ApiRoot(Schema):
    name: str
    version: str
    openapi: str
    docs: str


@api.get("/", response=ApiRoot, summary="API entry point", tags=["meta"])
def api_root(request: HttpRequest) -> dict[str, str]:
    return {
        "name": api.title,
        "version": api.version,
        "openapi": "/api/v1/openapi.json",
        "docs": "/api/v1/docs",
    }
