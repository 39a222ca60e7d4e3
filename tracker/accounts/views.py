from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tracker.accounts import selectors, services
from tracker.accounts.forms import AccountFilterForm, AccountForm, ProfileForm, SignInForm
from tracker.accounts.models import Role
from tracker.accounts.permissions import Cap, can, require
from tracker.core.errors import Conflict
from tracker.core.forms import add_service_errors
from tracker.core.problems import problem_response
from tracker.students.availability_views import availability_context

ACCOUNTS_PER_PAGE = 25


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer while sign-in is locked: 429, as a page or as a problem."""
    detail = _(
        "Too many failed sign-in attempts. Sign-in is locked for 15 minutes; "
        "you can also reset your password."
    )
    if request.path.startswith("/api/"):
        response = problem_response(request, 429, detail=detail)
    else:
        response = render(
            request,
            "accounts/login.html",
            {"form": SignInForm(request), "locked": detail},
            status=429,
        )
    response["Retry-After"] = "900"
    return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form):
        services.password_set(
            user=form.user,
            new_password=form.cleaned_data["new_password1"],
            action="accounts.password.reset",
        )
        return HttpResponseRedirect(self.get_success_url())


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"email": user.email, "phone": user.phone, "time_zone": user.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your contact details are saved."))
            return redirect("accounts:profile")
    context = {"form": form, "person": user}
    if user.role == Role.TUTOR:
        context["availability"] = availability_context(user=user, owner=user)
    return render(request, "accounts/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_set(
                user=request.user,
                new_password=form.cleaned_data["new_password1"],
                action="accounts.password.changed",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password is changed."))
            return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.ACCOUNT_LIST)
    filters = AccountFilterForm(request.GET or None, actor=request.user)
    accounts = selectors.user_list(user=request.user, **filters.filters())
    page = Paginator(accounts, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"filters": filters, "page": page}
    template = "accounts/user_list.html#results" if request.htmx else "accounts/user_list.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.ACCOUNT_MANAGE_TUTORS)
    form = AccountForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Account %(name)s created; an invitation was e-mailed.")
                % {"name": user.get_full_name() or user},
            )
            return redirect("accounts:user-list")
    return render(request, "accounts/user_form.html", {"form": form, "editing": None})


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.get_user_for_user(user=request.user, user_id=user_id)
    initial = {field: getattr(target, field) for field in services.MANAGED_FIELDS}
    initial.update(role=target.role, is_active=target.is_active)
    form = AccountForm(request.POST or None, actor=request.user, editing=target, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=target, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(
                request, _("Account %(name)s saved.") % {"name": target.get_full_name() or target}
            )
            return redirect("accounts:user-list")
    context = {
        "form": form,
        "editing": target,
        "availability": (
            availability_context(user=request.user, owner=target)
            if target.role == Role.TUTOR
            else None
        ),
        "can_delete": can(request.user, Cap.ACCOUNT_DELETE) and target != request.user,
    }
    return render(request, "accounts/user_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def user_delete(request: HttpRequest, user_id: int) -> HttpResponse:
    require(request.user, Cap.ACCOUNT_DELETE)
    target = selectors.get_user_for_user(user=request.user, user_id=user_id)
    error = None
    if request.method == "POST":
        try:
            services.user_delete(actor=request.user, user_id=target.pk)
        except Conflict as exc:
            error = exc.detail
        else:
            messages.success(
                request, _("Account %(name)s deleted.") % {"name": target.get_full_name() or target}
            )
            return redirect("accounts:user-list")
    return render(request, "accounts/user_delete.html", {"target": target, "error": error})
