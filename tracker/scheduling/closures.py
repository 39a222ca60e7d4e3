"""Closure days (public holidays, a branch's closing days): admins manage them, series skip
them when they generate sessions."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, require
from tracker.audit.services import record
from tracker.org.models import Branch
from tracker.scheduling.models import Closure

MAX_DAYS = 366


def closure_list(*, user: User, since: date | None = None) -> QuerySet[Closure]:
    require(user, Cap.CALENDAR_VIEW_OWN)
    closures = Closure.objects.select_related("branch").order_by("start_date", "id")
    return closures.filter(end_date__gte=since) if since else closures


@transaction.atomic
def closure_add(
    *, actor: User, start_date: date, end_date: date, reason: str, branch: Branch | int | None
) -> Closure:
    require(actor, Cap.SETTINGS_MANAGE)
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why (for example the holiday's name).")]
    if end_date < start_date:
        errors["end_date"] = [_("The last day cannot be before the first.")]
    elif (end_date - start_date).days >= MAX_DAYS:
        errors["end_date"] = [_("A closure lasts at most a year.")]
    if branch is not None and not isinstance(branch, Branch):
        branch = Branch.objects.filter(pk=branch, is_active=True).first()
        if branch is None:
            errors["branch"] = [_("Choose an active branch, or none for every branch.")]
    if errors:
        raise ValidationError(errors)
    closure = Closure.objects.create(
        start_date=start_date, end_date=end_date, reason=reason, branch=branch
    )
    record(
        "scheduling.closure.added",
        actor=actor,
        target=closure,
        changes={
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat(),
            "reason": reason,
            "branch": closure.branch_id,
        },
    )
    return closure


@transaction.atomic
def closure_remove(*, actor: User, closure_id: int) -> None:
    require(actor, Cap.SETTINGS_MANAGE)
    closure = Closure.objects.filter(pk=closure_id).first()
    if closure is None:
        raise Http404
    record(
        "scheduling.closure.removed",
        actor=actor,
        target=closure,
        changes={"start_date": closure.start_date.isoformat(), "reason": closure.reason},
    )
    closure.delete()
