from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tracker.accounts import magic_link, security, selectors, services, two_factor
from tracker.accounts.forms import AccountFilterForm, AccountForm, ProfileForm, SignInForm
from tracker.accounts.models import Role
from tracker.accounts.permissions import Cap, can, require
from tracker.core.errors import Conflict
from tracker.core.forms import add_service_errors
from tracker.core.problems import problem_response
from tracker.students.availability_views import availability_context

ACCOUNTS_PER_PAGE = 25


# --- forms of the sign-in security pages -------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        help_text=gettext_lazy("The 6 digits your authenticator app shows, or a recovery code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class SignInLinkForm(forms.Form):
    identifier = forms.CharField(
        label=gettext_lazy("Username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


class TwoFactorDisableForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        required=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=gettext_lazy("Or a current code"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


# --- signing in ---------------------------------------------------------------------------

SIGNOUT_NOTICES = {
    "idle": gettext_lazy("You were signed out after a while without activity. Sign in again."),
    "expired": gettext_lazy("Your sign-in reached its maximum age. Sign in again."),
    "revoked": gettext_lazy("This browser was signed out from another device."),
    "second_factor": gettext_lazy(
        "Your account now uses two-step sign-in. Sign in again with your code."
    ),
}


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.has_second_factor(user):
            two_factor.signin_pending_start(
                self.request, user, via="password", next_url=self.get_success_url()
            )
            return redirect("accounts:login-verify")
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        notice = self.request.session.pop(security.NOTICE, None)
        context["notice"] = SIGNOUT_NOTICES.get(notice)
        return context


def _safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def signin_verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app or a recovery code."""
    if two_factor.signin_pending_user(request) is None:
        messages.error(request, _("Sign in again: the code was not entered in time."))
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        next_url = two_factor.signin_pending_next(request)
        check = two_factor.signin_pending_finish(request, code=form.cleaned_data["code"])
        if check is None:
            messages.error(request, _("Too many wrong codes. Sign in again."))
            return redirect("accounts:login")
        if check.ok:
            return redirect(_safe_next(request, next_url))
        form.add_error("code", check.error())
    return render(request, "accounts/login_verify.html", {"form": form})


@require_http_methods(["GET", "POST"])
def signin_link_request(request: HttpRequest) -> HttpResponse:
    """ "E-mail me a sign-in link": the same answer whether or not the account exists."""
    form = SignInLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if magic_link.signin_link_throttled():
            context = {"form": form, "throttled": True}
            response = render(request, "accounts/login_link_request.html", context, status=429)
            response["Retry-After"] = str(magic_link.WINDOW_SECONDS)
            return response
        magic_link.signin_link_request(identifier=form.cleaned_data["identifier"])
        return redirect("accounts:login-link-sent")
    return render(request, "accounts/login_link_request.html", {"form": form})


def signin_link_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/login_link_sent.html", {"minutes": settings.SESAME_MAX_AGE // 60}
    )


@require_http_methods(["GET", "POST"])
def signin_link(request: HttpRequest) -> HttpResponse:
    """Where the e-mailed link lands. The POST (the button) uses the link up."""
    if request.method == "GET":
        return render(request, "accounts/login_link.html", {"valid": True})
    user = magic_link.signin_link_user(request)
    if user is None:
        return render(request, "accounts/login_link.html", {"valid": False}, status=400)
    if two_factor.has_second_factor(user):
        two_factor.signin_pending_start(
            request, user, via="link", next_url=resolve_url(settings.LOGIN_REDIRECT_URL)
        )
        return redirect("accounts:login-verify")
    request.signin_via = "link"
    login(request, user, backend=user.backend)
    return redirect(settings.LOGIN_REDIRECT_URL)


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
        security.signins_end_after_password(user=form.user, keep_session_id=None)
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
            security.signins_end_after_password(
                user=request.user, keep_session_id=security.current_signin_id(request)
            )
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


# --- where you're signed in ----------------------------------------------------------------


@login_required
def signins(request: HttpRequest) -> HttpResponse:
    rows = security.signins_for_user(
        user=request.user, current_session_id=security.current_signin_id(request)
    )
    context = {
        "browsers": [row for row in rows if row.kind == "browser"],
        "apis": [row for row in rows if row.kind == "api"],
        "time_zone": request.user.time_zone or settings.TIME_ZONE,
    }
    return render(request, "accounts/signins.html", context)


@login_required
@require_POST
def signin_revoke(request: HttpRequest, signin_id: str) -> HttpResponse:
    security.signin_revoke(user=request.user, signin_id=signin_id)
    messages.success(request, _("Signed out. That device must sign in again."))
    return redirect("accounts:signins")


@login_required
@require_POST
def signins_revoke_others(request: HttpRequest) -> HttpResponse:
    counts = security.signins_revoke_others(
        user=request.user, keep_session_id=security.current_signin_id(request)
    )
    messages.success(
        request,
        _("Signed out everywhere else (%(count)s sign-ins).")
        % {"count": counts["browser"] + counts["api"]},
    )
    return redirect("accounts:signins")


# --- two-step sign-in ------------------------------------------------------------------------

RECOVERY_CODES_SHOWN = "_recovery_codes"


@login_required
def two_factor_status(request: HttpRequest) -> HttpResponse:
    context = {
        "enabled": two_factor.has_second_factor(request.user),
        "codes_left": two_factor.recovery_codes_left(request.user),
        "required": security.admin_needs_second_factor(request.user),
    }
    return render(request, "accounts/two_factor.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    if two_factor.has_second_factor(request.user):
        return redirect("accounts:two-factor")
    device = two_factor.totp_setup_device(user=request.user)
    form = CodeForm(request.POST or None)
    form.fields["code"].help_text = _("The 6 digits your authenticator app shows now.")
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.totp_confirm(
                request=request, user=request.user, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session[RECOVERY_CODES_SHOWN] = codes
            messages.success(request, _("Two-step sign-in is on."))
            return redirect("accounts:two-factor-codes")
    context = {
        "form": form,
        "qr": two_factor.totp_qr_data_uri(device),
        "secret": two_factor.totp_secret(device),
        "required": security.admin_needs_second_factor(request.user),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes are shown once, right after they are made (POST makes new ones)."""
    if request.method == "POST":
        try:
            codes = two_factor.recovery_codes_regenerate(user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:two-factor")
        request.session[RECOVERY_CODES_SHOWN] = codes
        return redirect("accounts:two-factor-codes")
    codes = request.session.pop(RECOVERY_CODES_SHOWN, None)
    if not codes:
        return redirect("accounts:two-factor")
    response = render(request, "accounts/two_factor_codes.html", {"codes": codes})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    if not two_factor.has_second_factor(request.user):
        return redirect("accounts:two-factor")
    form = TwoFactorDisableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.two_factor_disable(request=request, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Two-step sign-in is off."))
            return redirect("accounts:two-factor")
    return render(request, "accounts/two_factor_disable.html", {"form": form})
