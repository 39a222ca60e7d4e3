"""/api/v1/branches, /schools and /subjects: the same four operations for each lookup."""

# No `from __future__ import annotations` here: ninja reads the views' annotations to build
# request parsing, and the per-kind schemas below are closure variables that string
# annotations could not be resolved from.

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import CursorPagination, paginate

from tracker.accounts.permissions import Cap, require
from tracker.org.models import LookupBase
from tracker.org.selectors import get_lookup_for_user, lookup_list
from tracker.org.services import (
    ADDRESS_MAX_LENGTH,
    NAME_MAX_LENGTH,
    lookup_create,
    lookup_set_active,
    lookup_update,
)

router = Router(tags=["org"])


class LookupOut(Schema):
    id: int
    name: str
    is_active: bool


class BranchOut(LookupOut):
    address: str


class LookupIn(Schema):
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)


class BranchIn(LookupIn):
    address: str = Field("", max_length=ADDRESS_MAX_LENGTH)


class LookupPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX_LENGTH)
    is_active: bool | None = None


class BranchPatch(LookupPatch):
    address: str | None = Field(None, max_length=ADDRESS_MAX_LENGTH)


@dataclass(frozen=True)
class Resource:
    kind: str
    path: str
    out: type[LookupOut]
    create: type[LookupIn]
    patch: type[LookupPatch]


RESOURCES = [
    Resource("branch", "/branches", BranchOut, BranchIn, BranchPatch),
    Resource("school", "/schools", LookupOut, LookupIn, LookupPatch),
    Resource("subject", "/subjects", LookupOut, LookupIn, LookupPatch),
]


def _add_routes(res: Resource) -> None:
    # Names in the URL (/subjects) are plural; kinds and operation ids are singular.
    kind = res.kind
    item_path = res.path + "/{obj_id}"

    @router.get(res.path, response=list[res.out], operation_id=f"{kind}_list")
    @paginate(CursorPagination, ordering=("name", "id"))
    def list_lookups(request: HttpRequest, include_inactive: bool = False) -> QuerySet[LookupBase]:
        return lookup_list(user=request.auth, kind=kind, include_inactive=include_inactive)

    @router.post(res.path, response={201: res.out}, operation_id=f"{kind}_create")
    def create_lookup(request: HttpRequest, payload: res.create) -> LookupBase:
        return lookup_create(user=request.auth, kind=kind, **payload.model_dump())

    @router.get(item_path, response=res.out, operation_id=f"{kind}_get")
    def get_lookup(request: HttpRequest, obj_id: int) -> LookupBase:
        return get_lookup_for_user(user=request.auth, kind=kind, obj_id=obj_id)

    @router.patch(item_path, response=res.out, operation_id=f"{kind}_update")
    def update_lookup(request: HttpRequest, obj_id: int, payload: res.patch) -> LookupBase:
        user = request.auth
        # A whole capability: refuse before looking up, so a 403 never depends on the id.
        require(user, Cap.SETTINGS_MANAGE)
        obj = get_lookup_for_user(user=user, kind=kind, obj_id=obj_id)
        fields = payload.model_dump(exclude_unset=True)
        is_active = fields.pop("is_active", None)
        obj = lookup_update(user=user, instance=obj, **fields)
        if is_active is not None:
            obj = lookup_set_active(user=user, instance=obj, active=is_active)
        return obj


for _resource in RESOURCES:
    _add_routes(_resource)
