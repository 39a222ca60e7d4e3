"""Writing the lookups. Admins add, rename and (de)activate them; nothing is ever deleted,
because users and students keep pointing at the ones they were given."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from tracker.accounts.permissions import Cap, require
from tracker.audit.services import diff, record
from tracker.core import cache as versions
from tracker.org.models import Branch, LookupBase
from tracker.org.selectors import lookup_model

NAME_MAX_LENGTH = Branch._meta.get_field("name").max_length
ADDRESS_MAX_LENGTH = Branch._meta.get_field("address").max_length


@transaction.atomic
def lookup_create(*, user, kind: str, name: str, address: str = "") -> LookupBase:
    require(user, Cap.SETTINGS_MANAGE)
    model = lookup_model(kind)
    values = _validated(model, name=name, address=address)
    obj = model(**values)
    _save(obj)
    record(f"org.{kind}.created", actor=user, target=obj, changes=values)
    return obj


@transaction.atomic
def lookup_update(
    *, user, instance: LookupBase, name: str | None = None, address: str | None = None
) -> LookupBase:
    """Rename (and for branches re-address) a lookup; fields left as None keep their value."""
    require(user, Cap.SETTINGS_MANAGE)
    model = type(instance)
    before = _snapshot(instance)
    values = _validated(
        model,
        name=instance.name if name is None else name,
        address=before.get("address", "") if address is None else address,
        exclude_pk=instance.pk,
    )
    changes = diff(before, values)
    # Saving an unchanged form is not an event worth a line in the audit trail.
    if not changes:
        return instance
    for field, value in values.items():
        setattr(instance, field, value)
    _save(instance)
    # A subject's name is in calendar titles.
    versions.bump_all()
    record(f"org.{_kind(instance)}.updated", actor=user, target=instance, changes=changes)
    return instance


@transaction.atomic
def lookup_set_active(*, user, instance: LookupBase, active: bool) -> LookupBase:
    require(user, Cap.SETTINGS_MANAGE)
    if instance.is_active == active:
        return instance
    instance.is_active = active
    instance.save(update_fields=["is_active", "updated_at"])
    event = "reactivated" if active else "deactivated"
    record(
        f"org.{_kind(instance)}.{event}",
        actor=user,
        target=instance,
        changes={"is_active": [not active, active]},
    )
    return instance


def _kind(instance: LookupBase) -> str:
    return instance._meta.model_name


def _snapshot(instance: LookupBase) -> dict[str, Any]:
    if isinstance(instance, Branch):
        return {"name": instance.name, "address": instance.address}
    return {"name": instance.name}


def _validated(
    model: type[LookupBase], *, name: str, address: str, exclude_pk: int | None = None
) -> dict[str, str]:
    """The cleaned field values, or a ValidationError naming every field that is wrong."""
    errors: dict[str, str] = {}
    values = {"name": name.strip()}
    if not values["name"]:
        errors["name"] = _("Enter a name.")
    elif len(values["name"]) > NAME_MAX_LENGTH:
        errors["name"] = _("Use at most %(max)d characters.") % {"max": NAME_MAX_LENGTH}
    elif _name_taken(model, values["name"], exclude_pk=exclude_pk):
        errors["name"] = _duplicate_message(model, values["name"])
    if model is Branch:
        values["address"] = address.strip()
        if len(values["address"]) > ADDRESS_MAX_LENGTH:
            errors["address"] = _("Use at most %(max)d characters.") % {"max": ADDRESS_MAX_LENGTH}
    elif address.strip():
        errors["address"] = _("Only branches have an address.")
    if errors:
        raise ValidationError({field: [message] for field, message in errors.items()})
    return values


def _name_taken(model: type[LookupBase], name: str, *, exclude_pk: int | None) -> bool:
    # Lower() on both sides in the database matches the unique constraint exactly, whatever
    # the backend's idea of case folding is.
    taken = model.objects.alias(name_ci=Lower("name")).filter(name_ci=Lower(Value(name)))
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    return taken.exists()


def _duplicate_message(model: type[LookupBase], name: str) -> str:
    return _("There is already a %(kind)s called “%(name)s”.") % {
        "kind": model._meta.verbose_name,
        "name": name,
    }


def _save(obj: LookupBase) -> None:
    try:
        # A savepoint, so that losing a race leaves the caller's transaction usable.
        with transaction.atomic():
            obj.save()
    except IntegrityError as error:
        # Two admins adding the same name at once both pass the check above; the unique
        # constraint stops the second, who deserves the same answer as a plain duplicate.
        raise ValidationError({"name": [_duplicate_message(type(obj), obj.name)]}) from error
