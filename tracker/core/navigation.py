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


NAV = [
    NavItem("home", _("Home"), None),
    NavItem("accounts:user-list", _("Accounts"), Cap.ACCOUNT_LIST),
    NavItem("org:index", _("Settings"), Cap.SETTINGS_MANAGE),
    NavItem("audit:log", _("Audit trail"), Cap.AUDIT_VIEW),
    NavItem("accounts:profile", _("My profile"), Cap.PROFILE_VIEW_OWN),
]


def items_for(user, current_url_name: str | None) -> list[dict[str, object]]:
    return [
        {
            "url": reverse(item.url_name),
            "label": item.label,
            "current": item.url_name == current_url_name,
        }
        for item in NAV
        if item.capability is None or can(user, item.capability)
    ]
