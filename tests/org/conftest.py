from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.factories import BranchFactory, SchoolFactory, SubjectFactory
from tracker.audit.models import AuditLog
from tracker.org.models import LookupBase

FACTORIES = {"branch": BranchFactory, "school": SchoolFactory, "subject": SubjectFactory}


@pytest.fixture(params=list(FACTORIES))
def kind(request) -> str:
    """Runs the test once per lookup kind: the three must behave alike."""
    return request.param


@pytest.fixture
def make_lookup(db) -> Callable[..., LookupBase]:
    def make(kind: str, **fields) -> LookupBase:
        return FACTORIES[kind](**fields)

    return make


@pytest.fixture
def org_entries(db) -> Callable[[], list[AuditLog]]:
    """The org.* audit entries, oldest first; sign-ins made by force_login are left out."""

    def entries() -> list[AuditLog]:
        return list(AuditLog.objects.filter(action__startswith="org.").order_by("id"))

    return entries
