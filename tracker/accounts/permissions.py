"""The permission matrix of DESIGN.md §1: every role × every capability, in one place.

Services call `require(user, Cap.X)`; templates and navigation ask `can(user, Cap.X)`.
Object scope (a tutor's own sessions, a moderator managing tutors only) is checked by the
`get_<obj>_for_user` lookups and by the helpers at the bottom, which build on this table.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from tracker.accounts.models import Role


class Cap(StrEnum):
    PROFILE_VIEW_OWN = "profile.view_own"
    PROFILE_EDIT_OWN = "profile.edit_own"
    CALENDAR_VIEW_OWN = "calendar.view_own"
    SCHEDULE_VIEW_ALL = "schedule.view_all"
    SESSION_LOG_OWN = "session.log_own"
    SESSION_LOG_ANY = "session.log_any"
    SESSION_VERIFY = "session.verify"
    SESSION_MANAGE = "session.manage"
    STUDENT_VIEW_ASSIGNED = "student.view_assigned"
    STUDENT_VIEW_ALL = "student.view_all"
    STUDENT_VIEW_CONTACT = "student.view_contact"
    STUDENT_VIEW_MONEY = "student.view_money"
    STUDENT_EDIT = "student.edit"
    STUDENT_REMOVE = "student.remove"
    ACCOUNT_LIST = "account.list"
    ACCOUNT_MANAGE_TUTORS = "account.manage_tutors"
    ACCOUNT_MANAGE_ANY = "account.manage_any"
    ACCOUNT_DEACTIVATE = "account.deactivate"
    ACCOUNT_DELETE = "account.delete"
    ACCOUNT_CHANGE_ROLE = "account.change_role"
    MESSAGE_REPLY = "message.reply"
    MESSAGE_SEND_TUTORS = "message.send_tutors"
    MESSAGE_BROADCAST = "message.broadcast"
    REVENUE_AGGREGATE = "revenue.aggregate"
    FINANCE_DETAIL = "finance.detail"
    AUDIT_VIEW = "audit.view"
    SETTINGS_MANAGE = "settings.manage"
    EXPORT_OWN_CALENDAR = "export.own_calendar"
    EXPORT_OPERATIONAL = "export.operational"
    EXPORT_ALL = "export.all"
    DASHBOARD_VIEW = "dashboard.view"
    REPORT_VIEW = "report.view"
    SEARCH = "search"


_EVERYONE = {
    Cap.PROFILE_VIEW_OWN,
    Cap.PROFILE_EDIT_OWN,
    Cap.CALENDAR_VIEW_OWN,
    Cap.SESSION_LOG_OWN,
    Cap.MESSAGE_REPLY,
    Cap.EXPORT_OWN_CALENDAR,
    Cap.DASHBOARD_VIEW,
    Cap.SEARCH,
}
_TUTOR = _EVERYONE | {Cap.STUDENT_VIEW_ASSIGNED}
_MODERATOR = _TUTOR | {
    Cap.SCHEDULE_VIEW_ALL,
    Cap.SESSION_LOG_ANY,
    Cap.SESSION_VERIFY,
    Cap.SESSION_MANAGE,
    Cap.STUDENT_VIEW_ALL,
    Cap.STUDENT_VIEW_CONTACT,
    Cap.STUDENT_EDIT,
    Cap.ACCOUNT_LIST,
    Cap.ACCOUNT_MANAGE_TUTORS,
    Cap.MESSAGE_SEND_TUTORS,
    Cap.REVENUE_AGGREGATE,
    Cap.EXPORT_OPERATIONAL,
    Cap.REPORT_VIEW,
}
_ADMIN = set(Cap)

MATRIX: dict[str, frozenset[Cap]] = {
    Role.TUTOR: frozenset(_TUTOR),
    Role.MODERATOR: frozenset(_MODERATOR),
    Role.ADMIN: frozenset(_ADMIN),
}


def can(user, capability: Cap) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return capability in MATRIX.get(user.role, frozenset())


def require(user, capability: Cap) -> None:
    """Raise PermissionDenied (403) unless the user's role has the capability."""
    if not can(user, capability):
        raise PermissionDenied(_("Your role does not allow this."))


def manageable_roles(user) -> set[str]:
    """The roles whose accounts this user may create and edit."""
    if can(user, Cap.ACCOUNT_MANAGE_ANY):
        return set(Role.values)
    if can(user, Cap.ACCOUNT_MANAGE_TUTORS):
        return {Role.TUTOR}
    return set()


def require_manage_role(user, role: str) -> None:
    if role not in manageable_roles(user):
        raise PermissionDenied(_("You may not manage accounts with that role."))
