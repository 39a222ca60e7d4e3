from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.accounts.permissions import Cap, require
from tracker.attendance import selectors, services
from tracker.attendance.forms import LogForm, VerifyFilterForm
from tracker.core.errors import Conflict
from tracker.scheduling.models import Session


@login_required
def today(request: HttpRequest) -> HttpResponse:
    """The tutor's day: each session with a two-tap log, and anything sent back to fix."""
    require(request.user, Cap.SESSION_LOG_OWN)
    sessions = list(selectors.sessions_today(user=request.user))
    cards = [{"session": s, "form": LogForm(session=s, prefix=f"s{s.pk}")} for s in sessions]
    context = {
        "cards": cards,
        "day": timezone.localdate(),
        "sent_back": selectors.sent_back_to(user=request.user),
    }
    return render(request, "attendance/today.html", context)


@login_required
@require_POST
def log_session(request: HttpRequest, session_id: int) -> HttpResponse:
    session = Session.objects.filter(pk=session_id).first()
    if session is None or not services.may_log(request.user, session):
        raise Http404
    form = LogForm(request.POST, session=session, prefix=f"s{session.pk}")
    if form.is_valid():
        try:
            services.session_log(
                actor=request.user,
                session=session,
                outcome=form.cleaned_data["outcome"],
                attendance=form.attendance(),
                note=form.cleaned_data["note"],
                cancelled_by=form.cleaned_data["cancelled_by"],
                force=request.POST.get("force") == "1",
            )
        except (ValidationError, Conflict) as exc:
            detail = exc.detail if isinstance(exc, Conflict) else "; ".join(exc.messages)
            messages.error(request, detail)
        else:
            messages.success(request, _("Session logged."))
    else:
        messages.error(request, _("Check the log and try again."))
    return redirect(request.POST.get("next") or "attendance:today")


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.SESSION_VERIFY)
    filters = VerifyFilterForm(request.GET or None)
    week = filters.cleaned_data.get("week") if filters.is_valid() else None
    logs = selectors.logs_to_verify(user=request.user, week=week)[:200]
    return render(request, "attendance/verify.html", {"logs": logs, "filters": filters})


@login_required
@require_POST
def verify_selected(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("session") if v.isdigit()]
    count = services.logs_verify(actor=request.user, session_ids=ids)
    messages.success(request, _("%(count)s sessions verified.") % {"count": count})
    return redirect("attendance:verify")


@login_required
@require_POST
def send_back(request: HttpRequest, session_id: int) -> HttpResponse:
    require(request.user, Cap.SESSION_VERIFY)
    session = Session.objects.filter(pk=session_id).first()
    if session is None:
        raise Http404
    try:
        services.log_send_back(
            actor=request.user, session=session, comment=request.POST.get("comment", "")
        )
    except (ValidationError, Conflict) as exc:
        messages.error(request, exc.detail if isinstance(exc, Conflict) else exc.messages[0])
    else:
        messages.success(request, _("Sent back to the tutor."))
    return redirect("attendance:verify")
