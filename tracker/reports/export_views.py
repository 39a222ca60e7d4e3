"""The data export page and its download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tracker.accounts.permissions import Cap, can
from tracker.reports import data_export


def download_response(export: data_export.DataExport) -> FileResponse:
    # FileResponse streams the (possibly large, on-disk) file and closes it when sent.
    return FileResponse(
        export.file, as_attachment=True, filename=export.filename, content_type="application/zip"
    )


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    tables = data_export.export_tables(actor=request.user)
    context = {"tables": tables, "full": can(request.user, Cap.EXPORT_ALL)}
    return render(request, "reports/export.html", context)


@login_required
@require_GET
def download(request: HttpRequest) -> FileResponse:
    return download_response(data_export.export_data(actor=request.user))
