from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tracker.accounts.permissions import Cap, can, require
from tracker.attendance.selectors import student_stats_for_page
from tracker.core.errors import Conflict
from tracker.core.forms import add_service_errors
from tracker.students import privacy, selectors, services
from tracker.students.availability_views import availability_context
from tracker.students.forms import StudentFilterForm, StudentForm
from tracker.students.models import StudentStatus

PER_PAGE = 25
SORTABLE = {"name": _("Name"), "grade": _("Class / grade")}


def _columns(current: str) -> list[dict[str, object]]:
    """Header links that sort by a column, and flip the direction when it is the sort."""
    columns = []
    for key, label in SORTABLE.items():
        active = current.lstrip("-") == key
        descending = current.startswith("-")
        next_sort = f"-{key}" if active and not descending else key
        direction = ("descending" if descending else "ascending") if active else None
        columns.append({"label": label, "sort": next_sort, "aria_sort": direction})
    return columns


@login_required
def student_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.STUDENT_VIEW_ASSIGNED)
    filters = StudentFilterForm(request.GET or None, actor=request.user)
    chosen = filters.filters()
    students = selectors.student_list(user=request.user, **chosen)
    page = Paginator(students, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "columns": _columns(chosen.get("sort", "name")),
        "see_all": can(request.user, Cap.STUDENT_VIEW_ALL),
        "can_edit": can(request.user, Cap.STUDENT_EDIT),
        "can_import": can(request.user, Cap.STUDENT_EDIT),
    }
    template = "students/list.html#results" if request.htmx else "students/list.html"
    return render(request, template, context)


@login_required
def student_detail(request: HttpRequest, student_id: int) -> HttpResponse:
    student = selectors.get_student_for_user(user=request.user, student_id=student_id)
    context = {
        "student": student,
        "show_contact": can(request.user, Cap.STUDENT_VIEW_CONTACT),
        "show_money": can(request.user, Cap.STUDENT_VIEW_MONEY),
        "see_all": can(request.user, Cap.STUDENT_VIEW_ALL),
        "can_edit": can(request.user, Cap.STUDENT_EDIT),
        "can_remove": can(request.user, Cap.STUDENT_REMOVE),
        "can_export": can(request.user, Cap.EXPORT_ALL),
        "archived": student.status == StudentStatus.ARCHIVED,
        "availability": availability_context(user=request.user, owner=student),
        "stats": student_stats_for_page(user=request.user, student=student),
    }
    return render(request, "students/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def student_create(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.STUDENT_EDIT)
    form = StudentForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            student = services.student_create(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s added.") % {"name": student.full_name})
            return redirect("students:detail", student_id=student.pk)
    return render(request, "students/form.html", {"form": form, "student": None})


@login_required
@require_http_methods(["GET", "POST"])
def student_edit(request: HttpRequest, student_id: int) -> HttpResponse:
    require(request.user, Cap.STUDENT_EDIT)
    student = selectors.get_student_for_user(user=request.user, student_id=student_id)
    initial = {name: getattr(student, name) for name in StudentForm.base_fields}
    initial["subjects"] = list(student.subjects.all())
    initial["tutors"] = list(student.tutors.all())
    form = StudentForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.student_update(actor=request.user, student=student, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": student.full_name})
            return redirect("students:detail", student_id=student.pk)
    return render(request, "students/form.html", {"form": form, "student": student})


def _status_change(request: HttpRequest, student_id: int, change, done: str) -> HttpResponse:
    student = selectors.get_student_for_user(user=request.user, student_id=student_id)
    try:
        change(actor=request.user, student=student)
    except Conflict as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done % {"name": student.full_name})
    return redirect("students:detail", student_id=student.pk)


@login_required
@require_POST
def student_pause(request: HttpRequest, student_id: int) -> HttpResponse:
    def pause(*, actor, student):
        paused = student.status != StudentStatus.PAUSED
        status = StudentStatus.PAUSED if paused else StudentStatus.ACTIVE
        return services.student_set_status(actor=actor, student=student, status=status)

    return _status_change(request, student_id, pause, _("%(name)s's status changed."))


@login_required
@require_POST
def student_archive(request: HttpRequest, student_id: int) -> HttpResponse:
    require(request.user, Cap.STUDENT_REMOVE)
    return _status_change(request, student_id, services.student_archive, _("%(name)s archived."))


@login_required
@require_POST
def student_restore(request: HttpRequest, student_id: int) -> HttpResponse:
    require(request.user, Cap.STUDENT_REMOVE)
    return _status_change(request, student_id, services.student_restore, _("%(name)s restored."))


@login_required
@require_GET
def student_export(request: HttpRequest, student_id: int) -> HttpResponse:
    require(request.user, Cap.EXPORT_ALL)
    student = selectors.get_student_for_user(user=request.user, student_id=student_id)
    export = privacy.student_export(actor=request.user, student=student)
    response = HttpResponse(export.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


class EraseForm(forms.Form):
    confirmation = forms.CharField(
        label=gettext_lazy("The student's full name"),
        max_length=300,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "aria-describedby": "erase-confirm-help",
            }
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def student_erase(request: HttpRequest, student_id: int) -> HttpResponse:
    require(request.user, Cap.STUDENT_REMOVE)
    student = selectors.get_student_for_user(user=request.user, student_id=student_id)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.student_erase(
                actor=request.user,
                student=student,
                confirmation=form.cleaned_data["confirmation"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.detail)
        else:
            # Not by name: the message waits in the session until shown.
            messages.success(request, _("The student's personal data was erased."))
            return redirect("students:list")
    archived = student.status == StudentStatus.ARCHIVED
    context = {"student": student, "form": form, "archived": archived}
    return render(request, "students/erase.html", context)
