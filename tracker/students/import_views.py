"""The import page: upload a spreadsheet, see what is wrong or what will be added, import."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tracker.accounts.permissions import Cap, can, require
from tracker.students import imports

PAGE = "students/import/upload.html"
SAMPLE_ROWS = 20


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy(
            "A .csv or .xlsx file whose first row names the columns: up to 5,000 students, 5 MB."
        ),
        error_messages={"required": gettext_lazy("Choose a file to upload.")},
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _page(request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("form", UploadForm())
    context["columns"] = imports.COLUMNS
    context["may_set_rates"] = can(request.user, Cap.STUDENT_VIEW_MONEY)
    return render(request, PAGE, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.STUDENT_EDIT)
    if request.method == "GET":
        return _page(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form=form)
    upload = form.cleaned_data["file"]
    content = imports.read_upload(upload)
    preview = imports.import_preview(actor=request.user, filename=upload.name, content=content)
    context: dict[str, Any] = {"preview": preview, "filename": upload.name}
    if not preview.problems:
        context["token"] = imports.upload_keep(
            actor=request.user, filename=upload.name, content=content
        )
        context["sample"] = preview.cleaned[:SAMPLE_ROWS]
    return _page(request, **context)


@login_required
@require_POST
def commit(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.STUDENT_EDIT)
    token = request.POST.get("token", "")
    try:
        filename, content = imports.upload_open(actor=request.user, token=token)
    except imports.UploadGone as gone:
        return _page(request, status=400, gone=gone.messages[0])
    try:
        students = imports.import_commit(actor=request.user, filename=filename, content=content)
    except imports.ImportRejected as rejected:
        return _page(request, status=400, rejected=rejected.problems, filename=filename)
    transaction.on_commit(partial(imports.upload_discard, token=token))
    count = len(students)
    messages.success(
        request,
        ngettext("%(count)d student imported.", "%(count)d students imported.", count)
        % {"count": count},
    )
    return redirect("students:list")


@login_required
@require_GET
def template(request: HttpRequest, fmt: str) -> HttpResponse:
    require(request.user, Cap.STUDENT_EDIT)
    if fmt not in imports.TEMPLATE_TYPES:
        raise Http404
    response = HttpResponse(imports.import_template(fmt), content_type=imports.TEMPLATE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="students-import.{fmt}"'
    return response
