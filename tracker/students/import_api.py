"""/api/v1/students/import: check or import a spreadsheet of students; get the template.

The same service as the import page: `dry_run` (the default) only checks; otherwise every
row is created, or, when anything is wrong, none is and the answer is a 422 whose `errors`
are the problems, each with its `row` (null for the file as a whole) and `field`.

No `from __future__ import annotations`: ninja reads these annotations at import time.
"""

from enum import StrEnum

from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from tracker.accounts.permissions import Cap, require
from tracker.core.api_errors import problem_response
from tracker.students import imports

router = Router(tags=["students"])


class ProblemOut(Schema):
    row: int | None
    field: str
    message: str


class ImportOut(Schema):
    rows: int
    problems: list[ProblemOut]
    created: int


class TemplateFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@router.post(
    "",
    response={200: ImportOut, 201: ImportOut},
    summary="Check, or import, a CSV or XLSX file of students",
)
def students_import(
    request: HttpRequest, file: File[UploadedFile], dry_run: bool = True
) -> Status | HttpResponse:
    filename = file.name or ""
    content = imports.read_upload(file)
    if dry_run:
        preview = imports.import_preview(actor=request.auth, filename=filename, content=content)
        problems = [problem._asdict() for problem in preview.problems]
        return Status(200, {"rows": preview.rows, "problems": problems, "created": 0})
    try:
        students = imports.import_commit(actor=request.auth, filename=filename, content=content)
    except imports.ImportRejected as rejected:
        return problem_response(
            request,
            422,
            detail="The file has problems; nothing was imported.",
            errors=[{**problem._asdict(), "code": "invalid"} for problem in rejected.problems],
        )
    return Status(201, {"rows": len(students), "problems": [], "created": len(students)})


@router.get(
    "/template",
    response={200: None},
    summary="The import template: a header row and one example row",
    openapi_extra={
        "responses": {
            200: {
                "description": "The template file",
                "content": {media.split(";")[0]: {} for media in imports.TEMPLATE_TYPES.values()},
            }
        }
    },
)
def students_import_template(
    request: HttpRequest, fmt: TemplateFormat = TemplateFormat.CSV
) -> HttpResponse:
    require(request.auth, Cap.STUDENT_EDIT)
    response = HttpResponse(imports.import_template(fmt), content_type=imports.TEMPLATE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="students-import.{fmt.value}"'
    return response
