"""Availability pages: a student's or a tutor's weekly windows and time off.

The section (students/availability/_section.html) is also included in other pages: build
its context with `availability_context(user=..., owner=...)`. Its forms post here, with
htmx (this answers the refreshed section) or without (this redirects back to `next`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tracker.accounts.models import User
from tracker.core.errors import Conflict
from tracker.core.forms import add_service_errors
from tracker.students import availability
from tracker.students.availability import Owner, describe_window, owner_of
from tracker.students.models import Student, Weekday
from tracker.students.selectors import get_student_for_user

SECTION_TEMPLATE = "students/availability/_section.html"
PAGE_TEMPLATE = "students/availability/page.html"
REFUSED_TEMPLATE = "students/availability/refused.html"


class WindowForm(forms.Form):
    weekday = forms.TypedChoiceField(label=gettext_lazy("Day"), choices=Weekday.choices, coerce=int)
    start = forms.TimeField(
        label=gettext_lazy("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        label=gettext_lazy("Until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"),
        required=False,
        help_text=gettext_lazy("Optional: leave empty for “from now on”."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    valid_to = forms.DateField(
        label=gettext_lazy("Valid until"),
        required=False,
        help_text=gettext_lazy("Optional: leave empty for “until further notice”."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class TimeOffForm(forms.Form):
    # Entered as wall-clock time in the current (business) time zone; Django makes it aware.
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Away from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Back at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=200)


def availability_context(
    *,
    user: User,
    owner: Owner,
    next_url: str = "",
    window_form: WindowForm | None = None,
    time_off_form: TimeOffForm | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """What _section.html needs, as the `availability` variable. 404 outside the user's scope.

    `next_url` is where plain (non-htmx) form posts come back to; by default the page
    that shows the section.
    """
    data = availability.availability_for(user=user, owner=owner)
    kind = _kind(owner)
    return {
        "id": _section_id(owner),
        "owner": owner,
        "owner_name": _name(owner),
        "days": [
            {
                "weekday": value,
                "name": label,
                "windows": [w for w in data["windows"] if w.weekday == value],
            }
            for value, label in Weekday.choices
        ],
        "time_off": data["time_off"],
        "can_edit": availability.may_edit(user, owner),
        "window_form": window_form or WindowForm(auto_id=_form_ids(owner)),
        "time_off_form": time_off_form or TimeOffForm(auto_id=_form_ids(owner)),
        "window_add_url": reverse("availability:window-add", args=[kind, owner.pk]),
        "time_off_add_url": reverse("availability:time-off-add", args=[kind, owner.pk]),
        "next_url": next_url,
        "notice": notice,
        "today": timezone.localdate(),
        "now": timezone.now(),
    }


def _name(owner: Owner) -> str:
    return (
        owner.full_name if isinstance(owner, Student) else owner.get_full_name() or owner.username
    )


def _kind(owner: Owner) -> str:
    return "student" if isinstance(owner, Student) else "tutor"


def _section_id(owner: Owner) -> str:
    return f"availability-{_kind(owner)}-{owner.pk}"


def _form_ids(owner: Owner) -> str:
    # Ids carry the section's, so that two sections on one page never share a label target.
    return f"{_section_id(owner)}-%s"


def _refuse_conflicts(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A 409 page, as the API answers, for owners whose availability cannot be kept."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Conflict as exc:
            return render(request, REFUSED_TEMPLATE, {"detail": exc.detail}, status=409)

    return wrapper


def _owner(request: HttpRequest, kind: str, owner_id: int) -> Owner:
    if kind == "student":
        return get_student_for_user(user=request.user, student_id=owner_id)
    if kind == "tutor":
        return availability.get_tutor_for_user(user=request.user, user_id=owner_id)
    raise Http404


def _owner_page_url(user: User, owner: Owner) -> str:
    if isinstance(owner, Student):
        return reverse("availability:student", args=[owner.pk])
    if owner.pk == user.pk:
        return reverse("availability:mine")
    return reverse("availability:tutor", args=[owner.pk])


def _next_url(request: HttpRequest, owner: Owner) -> str:
    wanted = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if wanted and safe else _owner_page_url(request.user, owner)


def _page(request: HttpRequest, owner: Owner, next_url: str = "", **section: Any) -> HttpResponse:
    next_url = next_url or request.get_full_path()
    context = {
        "owner": owner,
        "is_student": isinstance(owner, Student),
        "is_self": owner == request.user,
        "availability": availability_context(
            user=request.user, owner=owner, next_url=next_url, **section
        ),
    }
    return render(request, PAGE_TEMPLATE, context)


def _section(request: HttpRequest, owner: Owner, **section: Any) -> HttpResponse:
    context = {
        "availability": availability_context(
            user=request.user, owner=owner, next_url=_next_url(request, owner), **section
        )
    }
    return render(request, SECTION_TEMPLATE, context)


def _invalid(request: HttpRequest, owner: Owner, **bound: Any) -> HttpResponse:
    """The form again with its errors: the section for htmx, else the owner's page."""
    if request.htmx:
        return _section(request, owner, **bound)
    return _page(request, owner, next_url=_next_url(request, owner), **bound)


def _done(request: HttpRequest, owner: Owner, message: str) -> HttpResponse:
    """Post/Redirect/Get for plain forms; htmx swaps in the refreshed section instead."""
    if request.htmx:
        # Shown inside the section: a flash message would linger until the next full page.
        return _section(request, owner, notice=message)
    messages.success(request, message)
    return redirect(_next_url(request, owner))


@login_required
@require_GET
@_refuse_conflicts
def student_page(request: HttpRequest, student_id: int) -> HttpResponse:
    return _page(request, get_student_for_user(user=request.user, student_id=student_id))


@login_required
@require_GET
@_refuse_conflicts
def tutor_page(request: HttpRequest, user_id: int) -> HttpResponse:
    return _page(request, availability.get_tutor_for_user(user=request.user, user_id=user_id))


@login_required
@require_GET
@_refuse_conflicts
def my_page(request: HttpRequest) -> HttpResponse:
    owner = availability.get_tutor_for_user(user=request.user, user_id=request.user.pk)
    return _page(request, owner)


@login_required
@require_POST
@_refuse_conflicts
def window_add(request: HttpRequest, kind: str, owner_id: int) -> HttpResponse:
    owner = _owner(request, kind, owner_id)
    availability.check_may_edit(request.user, owner)
    form = WindowForm(request.POST, auto_id=_form_ids(owner))
    if form.is_valid():
        try:
            window = availability.availability_add(
                actor=request.user, owner=owner, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _done(
                request, owner, _("%(window)s added.") % {"window": describe_window(window)}
            )
    return _invalid(request, owner, window_form=form)


@login_required
@require_POST
@_refuse_conflicts
def window_remove(request: HttpRequest, window_id: int) -> HttpResponse:
    window = availability.get_window_for_user(user=request.user, window_id=window_id)
    owner = owner_of(window)
    availability.availability_remove(actor=request.user, window=window)
    return _done(request, owner, _("%(window)s removed.") % {"window": describe_window(window)})


@login_required
@require_POST
@_refuse_conflicts
def time_off_add(request: HttpRequest, kind: str, owner_id: int) -> HttpResponse:
    owner = _owner(request, kind, owner_id)
    availability.check_may_edit(request.user, owner)
    form = TimeOffForm(request.POST, auto_id=_form_ids(owner))
    if form.is_valid():
        try:
            availability.time_off_add(actor=request.user, owner=owner, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _done(request, owner, _("Time off added."))
    return _invalid(request, owner, time_off_form=form)


@login_required
@require_POST
@_refuse_conflicts
def time_off_remove(request: HttpRequest, time_off_id: int) -> HttpResponse:
    time_off = availability.get_time_off_for_user(user=request.user, time_off_id=time_off_id)
    owner = owner_of(time_off)
    availability.time_off_remove(actor=request.user, time_off=time_off)
    return _done(request, owner, _("Time off removed."))
