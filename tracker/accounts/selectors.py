"""Reading accounts, always through what the acting user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, manageable_roles, require


def user_list(
    *,
    user: User,
    role: str | None = None,
    active: bool | None = None,
    search: str | None = None,
) -> QuerySet[User]:
    """Accounts the user may manage: moderators see tutors, admins everyone."""
    require(user, Cap.ACCOUNT_LIST)
    accounts = User.objects.filter(role__in=manageable_roles(user)).select_related(
        "branch", "school"
    )
    if role:
        accounts = accounts.filter(role=role)
    if active is not None:
        accounts = accounts.filter(is_active=active)
    if search:
        accounts = accounts.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
        )
    return accounts.order_by("last_name", "first_name", "id")


def get_user_for_user(*, user: User, user_id: int) -> User:
    """404, not 403, for accounts outside the user's scope: do not reveal that they exist."""
    try:
        return user_list(user=user).get(pk=user_id)
    except User.DoesNotExist:
        raise Http404 from None
