"""The calendar page: the home screen after sign-in.

The page is a shell; FullCalendar and the small scripts in static/js/calendar*.js fetch the
sessions from /api/v1, which decides what each person may see. The page itself hands the
scripts only the signed-in person's own capabilities, time zone and the (translated) words
they show, so nothing here depends on other people's data.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tracker.accounts.permissions import Cap, can, require
from tracker.scheduling.models import SessionStatus

TEMPLATE = "scheduling/calendar/index.html"
# How often calendars ask whether anything changed: a 304 costs next to nothing.
POLL_SECONDS = 5

# One symbol per status beside its colour, so that colour is never the only signal.
STATUS_MARKERS = {
    SessionStatus.SCHEDULED: "○",
    SessionStatus.COMPLETED: "✓",
    SessionStatus.CANCELLED: "✕",
}


def status_legend() -> list[dict[str, str]]:
    return [
        {"value": status.value, "label": str(status.label), "marker": STATUS_MARKERS[status]}
        for status in SessionStatus
    ]


def _strings(*, can_manage: bool, can_see_all: bool) -> dict[str, str]:
    """Words the scripts show, translated here because the scripts have no catalogue;
    only those of what this person can do, to keep the page small."""
    strings = {
        "today": _("Today"),
        "month": _("Month"),
        "week": _("Week"),
        "day": _("Day"),
        "list": _("List"),
        "previous": _("Previous"),
        "next": _("Next"),
        "viewHint": _("%(view)s view"),
        "changeView": _("Change view"),
        "close": _("Close"),
        "events": _("Sessions"),
        "more": _("more"),
        "moreHint": _("Show %(count)s more sessions"),
        "noEvents": _("No sessions in this period."),
        "timeAxis": _("Times of day"),
        "loadFailed": _("The sessions could not be loaded. Check your connection."),
        "saveFailed": _("That did not work: %(detail)s"),
        "network": _("The server could not be reached. Check your connection."),
        "noStudents": _("No students"),
        "repeats": _("Part of a repeating series"),
        "billable": _("Billable"),
        "notBillable": _("Not billable"),
    }
    if can_see_all:
        strings |= {
            "tutorOwn": _("Tutor’s availability"),
            "studentOwn": _("Student’s availability"),
        }
    if can_manage:
        strings |= {
            "moved": _("Moved."),
            "undone": _("Move undone."),
            "clash": _(
                "That clashes with %(tutor)s’s session %(start)s–%(end)s. Nothing was changed."
            ),
            "clashUnknown": _("That time clashes with another session. Nothing was changed."),
            "created": _("Session created."),
            "createdSeries": _("Repeating sessions created."),
            "cancelled": _("Session cancelled."),
            "noSlots": _("No free slot in the next two weeks."),
            "slotsFound": _("%(count)s free slots found."),
            "slotsNeedPeople": _("Choose a tutor and a student first."),
            "chooseSlot": _("Use %(time)s"),
        }
    return strings


def calendar_config(user) -> dict[str, Any]:
    """What the scripts need: this person's own capabilities and zone, never other people."""
    can_manage = can(user, Cap.SESSION_MANAGE)
    can_see_all = can(user, Cap.SCHEDULE_VIEW_ALL)
    return {
        "timeZone": user.time_zone or settings.TIME_ZONE,
        "canManage": can_manage,
        "canSeeAll": can_see_all,
        "apiRoot": reverse("api:api_root").rstrip("/"),
        "pollSeconds": POLL_SECONDS,
        "statuses": status_legend(),
        "strings": _strings(can_manage=can_manage, can_see_all=can_see_all),
    }


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.CALENDAR_VIEW_OWN)
    config = calendar_config(request.user)
    context = {
        "can_manage": config["canManage"],
        "can_see_all": config["canSeeAll"],
        "statuses": config["statuses"],
        "time_zone": config["timeZone"],
        # 0 = Monday, as the API counts repeat weekdays.
        "weekdays": list(WEEKDAYS.items()),
        "config": config,
    }
    return render(request, TEMPLATE, context)
