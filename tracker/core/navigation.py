"""The main navigation, filtered by the permission matrix so each role sees only its own."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tracker.accounts.permissions import Cap, can


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    capability: Cap | None
    # Pages under this URL namespace count as "here" too (a student's page under Students).
    section: str | None = None

    def is_current(self, view_name: str | None) -> bool:
        if view_name is None:
            return False
        return view_name == self.url_name or (
            self.section is not None and view_name.split(":")[0] == self.section
        )


NAV = [
    NavItem("calendar:index", _("Calendar"), Cap.CALENDAR_VIEW_OWN),
    NavItem("dashboard:index", _("Dashboard"), Cap.DASHBOARD_VIEW),
    NavItem("attendance:today", _("Today"), Cap.SESSION_LOG_OWN),
    NavItem("students:list", _("Students"), Cap.STUDENT_VIEW_ASSIGNED, "students"),
    NavItem("messaging:inbox", _("Messages"), Cap.MESSAGE_REPLY, "messaging"),
    NavItem("attendance:verify", _("Verify"), Cap.SESSION_VERIFY),
    NavItem("finance:index", _("Money"), Cap.REVENUE_AGGREGATE, "finance"),
    NavItem("reports:index", _("Reports"), Cap.REPORT_VIEW, "reports"),
    NavItem("accounts:user-list", _("Accounts"), Cap.ACCOUNT_LIST),
    NavItem("org:index", _("Settings"), Cap.SETTINGS_MANAGE),
    NavItem("audit:log", _("Audit trail"), Cap.AUDIT_VIEW),
    NavItem("accounts:profile", _("My profile"), Cap.PROFILE_VIEW_OWN),
]


PUBLIC = [NavItem("home", _("Home"), None)]


def items_for(user, current_url_name: str | None) -> list[dict[str, object]]:
    signed_in = user is not None and user.is_authenticated
    return [
        {
            "url": reverse(item.url_name),
            "label": item.label,
            "current": item.is_current(current_url_name),
        }
        for item in (NAV if signed_in else PUBLIC)
        if item.capability is None or can(user, item.capability)
    ]
