"""/api/v1/exports: the full data export as a ZIP (moderators without money, admins all).

No `from __future__ import annotations`: ninja reads these annotations at import time.
"""

from django.http import FileResponse, HttpRequest
from ninja import Router

from tracker.reports import data_export
from tracker.reports.export_views import download_response

router = Router(tags=["exports"])


@router.get(
    "/data",
    summary="Every table the role may see, one CSV each, in a ZIP",
    description=(
        "Administrators: every table, personal data decrypted. Moderators: students, "
        "sessions, attendance and the rest of the operational data, without money or the "
        "audit trail. Tutors: 403. README.txt and manifest.json describe the files."
    ),
    openapi_extra={
        "responses": {200: {"description": "The ZIP", "content": {"application/zip": {}}}}
    },
)
def exports_data(request: HttpRequest) -> FileResponse:
    return download_response(data_export.export_data(actor=request.auth))
