"""The settings page, where admins keep the branch, school and subject lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tracker.accounts.permissions import Cap, require
from tracker.org.forms import BranchForm, LookupForm, SchoolForm, SubjectForm
from tracker.org.selectors import get_lookup_for_user, lookup_list
from tracker.org.services import lookup_create, lookup_set_active, lookup_update


@dataclass(frozen=True)
class Kind:
    key: str
    heading: Promise
    add_label: Promise
    edit_title: Promise
    form_class: type[LookupForm]


KINDS = {
    kind.key: kind
    for kind in (
        Kind(
            "branch",
            gettext_lazy("Branches"),
            gettext_lazy("Add branch"),
            gettext_lazy("Edit branch"),
            BranchForm,
        ),
        Kind(
            "school",
            gettext_lazy("Schools"),
            gettext_lazy("Add school"),
            gettext_lazy("Edit school"),
            SchoolForm,
        ),
        Kind(
            "subject",
            gettext_lazy("Subjects"),
            gettext_lazy("Add subject"),
            gettext_lazy("Edit subject"),
            SubjectForm,
        ),
    )
}


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.SETTINGS_MANAGE)
    return _render_page(request)


@login_required
@require_POST
def create(request: HttpRequest, kind: str) -> HttpResponse:
    require(request.user, Cap.SETTINGS_MANAGE)
    spec = _kind(kind)
    form = spec.form_class(request.POST, prefix=spec.key)
    if form.is_valid():
        try:
            obj = lookup_create(user=request.user, kind=spec.key, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _done(request, spec, _("“%(name)s” added.") % {"name": obj.name})
    if request.htmx:
        return _render_section(request, spec, form=form)
    return _render_page(request, bound_forms={spec.key: form})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    require(request.user, Cap.SETTINGS_MANAGE)
    spec = _kind(kind)
    obj = get_lookup_for_user(user=request.user, kind=spec.key, obj_id=pk)
    data = request.POST if request.method == "POST" else None
    form = spec.form_class(data, initial=model_to_dict(obj))
    if form.is_bound and form.is_valid():
        try:
            lookup_update(user=request.user, instance=obj, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("“%(name)s” saved.") % {"name": obj.name})
            return redirect(_index_url(spec))
    return render(request, "org/edit.html", {"kind": spec, "form": form, "obj": obj})


@login_required
@require_POST
def set_active(request: HttpRequest, kind: str, pk: int, *, active: bool) -> HttpResponse:
    require(request.user, Cap.SETTINGS_MANAGE)
    spec = _kind(kind)
    obj = get_lookup_for_user(user=request.user, kind=spec.key, obj_id=pk)
    lookup_set_active(user=request.user, instance=obj, active=active)
    if active:
        message = _("“%(name)s” is active again.")
    else:
        message = _("“%(name)s” deactivated: forms no longer offer it.")
    return _done(request, spec, message % {"name": obj.name})


def _kind(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise Http404 from None


def _index_url(spec: Kind) -> str:
    return f"{reverse('org:index')}#lookup-{spec.key}"


def _done(request: HttpRequest, spec: Kind, message: str) -> HttpResponse:
    """Post/Redirect/Get for plain forms; htmx swaps in the refreshed section instead."""
    if request.htmx:
        # Shown inside the section: a flash message would linger until the next full page.
        return _render_section(request, spec, notice=message)
    messages.success(request, message)
    return redirect(_index_url(spec))


def _section(
    request: HttpRequest, spec: Kind, form: LookupForm | None = None, notice: str = ""
) -> dict[str, Any]:
    items = lookup_list(user=request.user, kind=spec.key, include_inactive=True)
    return {
        "kind": spec,
        "form": form or spec.form_class(prefix=spec.key),
        # Active first: they are the ones an admin looks for; the inactive trail behind.
        "items": items.order_by("-is_active", "name"),
        "notice": notice,
    }


def _render_page(
    request: HttpRequest, bound_forms: dict[str, LookupForm] | None = None
) -> HttpResponse:
    bound_forms = bound_forms or {}
    sections = [_section(request, spec, bound_forms.get(key)) for key, spec in KINDS.items()]
    return render(request, "org/index.html", {"sections": sections})


def _render_section(
    request: HttpRequest, spec: Kind, form: LookupForm | None = None, notice: str = ""
) -> HttpResponse:
    context = {"section": _section(request, spec, form, notice)}
    return render(request, "org/index.html#lookup-section", context)
