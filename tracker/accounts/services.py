"""Accounts: signing in, own profile and password, and managing other people's accounts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from tracker.accounts.models import Role, User
from tracker.accounts.permissions import Cap, require, require_manage_role
from tracker.accounts.selectors import get_user_for_user
from tracker.accounts.tokens import tokens_revoke_for_user
from tracker.audit.services import diff, record
from tracker.core import cache as versions
from tracker.core.errors import Conflict, NotAuthenticated
from tracker.org.models import Branch, School

PROFILE_FIELDS = ("email", "phone", "time_zone")
MANAGED_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "teaching_class",
    "school",
    "branch",
    "phone",
    "time_zone",
)


def resolve_username(identifier: str) -> str:
    """People sign in with a username or an e-mail address; axes and Django want a username."""
    identifier = identifier.strip()
    if "@" in identifier:
        match = User.objects.filter(email__iexact=identifier).values_list("username", flat=True)
        found = list(match[:2])
        if len(found) == 1:
            return found[0]
    exact = User.objects.filter(username__iexact=identifier).values_list("username", flat=True)
    return exact.first() or identifier


def signin_check(*, request: HttpRequest, identifier: str, password: str) -> User:
    """Check credentials through Django's backends (and so django-axes' lockout)."""
    user = authenticate(request, username=resolve_username(identifier), password=password)
    if user is None:
        raise NotAuthenticated(_("Wrong username or password, or the account is deactivated."))
    return user


# --- own profile -------------------------------------------------------------------------


def _snapshot(user: User, fields: tuple[str, ...]) -> dict[str, Any]:
    values = {}
    for field in fields:
        value = getattr(user, field)
        values[field] = value.pk if hasattr(value, "pk") else value
    return values


@transaction.atomic
def profile_update(*, user: User, **changes: Any) -> User:
    """A person edits their own contact details; name, class, school, branch are not theirs."""
    require(user, Cap.PROFILE_EDIT_OWN)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise PermissionDenied(_("You may not change %(fields)s.") % {"fields": sorted(unknown)})
    before = _snapshot(user, PROFILE_FIELDS)
    for field, value in changes.items():
        setattr(user, field, value.strip() if isinstance(value, str) else value)
    _validate_user(user)
    user.save(update_fields=list(changes))
    record(
        "accounts.profile.updated",
        actor=user,
        target=user,
        changes=diff(before, _snapshot(user, PROFILE_FIELDS)),
    )
    return user


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str) -> None:
    require(user, Cap.PROFILE_EDIT_OWN)
    if not user.check_password(current_password):
        raise ValidationError({"current_password": [_("Your current password is not right.")]})
    password_set(user=user, new_password=new_password, action="accounts.password.changed")


@transaction.atomic
def password_set(*, user: User, new_password: str, action: str) -> None:
    """Set a password (change, reset or first set) and end the API sign-ins made with the old."""
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens_revoke_for_user(user=user, reason="password")
    record(action, actor=user, target=user, changes={"password": "changed"})


# --- managing accounts -------------------------------------------------------------------


def _validate_user(user: User) -> None:
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"], validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    others = User.objects.exclude(pk=user.pk)
    if user.username and others.filter(username__iexact=user.username).exists():
        errors.setdefault("username", []).append(_("That username is taken."))
    if user.email and others.filter(email__iexact=user.email).exists():
        errors.setdefault("email", []).append(_("Another account uses that e-mail address."))
    if errors:
        raise ValidationError(errors)


def _lookup(model: type, value: Any, field: str) -> Any:
    if value is None or isinstance(value, model):
        return value
    found = model.objects.filter(pk=value, is_active=True).first()
    if found is None:
        raise ValidationError({field: [_("Choose one of the active options.")]})
    return found


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    email: str,
    role: str = Role.TUTOR,
    password: str | None = None,
    **fields: Any,
) -> User:
    """Create an account. Without a password the person is e-mailed a link to set one."""
    require(actor, Cap.ACCOUNT_MANAGE_TUTORS)
    require_manage_role(actor, role)
    user = User(username=username.strip(), email=email.strip(), role=role)
    _assign(user, fields)
    _validate_user(user)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    # Staff dashboards list the tutors.
    versions.bump_all()
    record(
        "accounts.user.created",
        actor=actor,
        target=user,
        changes={**_snapshot(user, MANAGED_FIELDS), "role": user.role},
    )
    if not password and user.email:
        transaction.on_commit(lambda: _send_invitation(user))
    return user


def _assign(user: User, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(MANAGED_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in unknown})
    for field, value in fields.items():
        if field == "school":
            value = _lookup(School, value, "school")
        elif field == "branch":
            value = _lookup(Branch, value, "branch")
        elif isinstance(value, str):
            value = value.strip()
        setattr(user, field, value)


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    role: str | None = None,
    is_active: bool | None = None,
    **fields: Any,
) -> User:
    """Edit an account; role and active flag need the admin-only capabilities."""
    require(actor, Cap.ACCOUNT_MANAGE_TUTORS)
    require_manage_role(actor, user.role)
    before = {**_snapshot(user, MANAGED_FIELDS), "role": user.role, "is_active": user.is_active}
    _assign(user, fields)
    if role is not None and role != user.role:
        require(actor, Cap.ACCOUNT_CHANGE_ROLE)
        require_manage_role(actor, role)
        _keep_an_admin(user, leaving=user.role == Role.ADMIN)
        user.role = role
    if is_active is not None and is_active != user.is_active:
        require(actor, Cap.ACCOUNT_DEACTIVATE)
        _keep_an_admin(user, leaving=not is_active and user.role == Role.ADMIN)
        user.is_active = is_active
    _validate_user(user)
    user.save()
    after = {**_snapshot(user, MANAGED_FIELDS), "role": user.role, "is_active": user.is_active}
    changes = diff(before, after)
    if not changes:
        return user
    # A tutor's name shows in calendars; role and active flag in staff dashboards.
    versions.bump_all()
    record(_update_action(changes), actor=actor, target=user, changes=changes)
    if not user.is_active:
        tokens_revoke_for_user(user=user, reason="deactivated")
    return user


def _update_action(changes: dict[str, Any]) -> str:
    if "is_active" in changes:
        return (
            "accounts.user.reactivated" if changes["is_active"][1] else "accounts.user.deactivated"
        )
    if "role" in changes:
        return "accounts.user.role_changed"
    return "accounts.user.updated"


@transaction.atomic
def user_delete(*, actor: User, user_id: int) -> None:
    # The capability before the lookup: a moderator is refused (403) whoever the target is.
    require(actor, Cap.ACCOUNT_DELETE)
    user = get_user_for_user(user=actor, user_id=user_id)
    # Only an active admin gets here, so refusing self-deletion also keeps an admin.
    if user.pk == actor.pk:
        raise Conflict(_("You cannot delete your own account."))
    snapshot = {"username": user.username, "role": user.role}
    target_id = user.pk
    try:
        user.delete()
    except ProtectedError:
        # Sessions, logs and money point to them: the records must keep their author.
        raise Conflict(
            _("This account has sessions or records that must be kept; deactivate it instead.")
        ) from None
    versions.bump_all()
    record(
        "accounts.user.deleted",
        actor=actor,
        target_type="accounts.user",
        target_id=target_id,
        changes=snapshot,
    )


def _keep_an_admin(user: User, *, leaving: bool) -> None:
    if not leaving:
        return
    others = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk)
    if not others.select_for_update().exists():
        raise Conflict(_("The business must keep at least one active administrator."))


def _send_invitation(user: User) -> None:
    path = reverse(
        "accounts:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "link": settings.SITE_URL + path}
    send_mail(
        subject=_("Your Students Tracker account"),
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
