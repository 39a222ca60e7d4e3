"""Reading the lookups: what each user may see of branches, schools and subjects."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from tracker.accounts.permissions import Cap, can, require
from tracker.org.models import Branch, LookupBase, School, Subject

LOOKUP_MODELS: dict[str, type[LookupBase]] = {
    "branch": Branch,
    "school": School,
    "subject": Subject,
}


def lookup_model(kind: str) -> type[LookupBase]:
    try:
        return LOOKUP_MODELS[kind]
    except KeyError:
        raise ValueError(f"Unknown lookup kind: {kind!r}") from None


def lookup_list(*, user, kind: str, include_inactive: bool = False) -> QuerySet[LookupBase]:
    """Active lookups for anyone signed in (they fill forms); inactive ones for admins only."""
    if include_inactive:
        require(user, Cap.SETTINGS_MANAGE)
    elif not (user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Sign in to see this."))
    queryset = lookup_model(kind).objects.all()
    return queryset if include_inactive else queryset.filter(is_active=True)


def get_lookup_for_user(*, user, kind: str, obj_id: int) -> LookupBase:
    """404 for ids that do not exist and for inactive ones the user may not see."""
    queryset = lookup_list(user=user, kind=kind, include_inactive=can(user, Cap.SETTINGS_MANAGE))
    return get_object_or_404(queryset, pk=obj_id)
