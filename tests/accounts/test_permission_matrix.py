"""The permission matrix of DESIGN.md §1, role by capability, as a table."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tracker.accounts.models import Role
from tracker.accounts.permissions import Cap, can, manageable_roles

T, M, A = Role.TUTOR, Role.MODERATOR, Role.ADMIN

# Who has each capability, read off DESIGN.md §1 row by row.
EXPECTED: dict[Cap, set[str]] = {
    Cap.PROFILE_VIEW_OWN: {T, M, A},
    Cap.PROFILE_EDIT_OWN: {T, M, A},
    Cap.CALENDAR_VIEW_OWN: {T, M, A},
    Cap.SCHEDULE_VIEW_ALL: {M, A},
    Cap.SESSION_LOG_OWN: {T, M, A},
    Cap.SESSION_LOG_ANY: {M, A},
    Cap.SESSION_VERIFY: {M, A},
    Cap.SESSION_MANAGE: {M, A},
    Cap.STUDENT_VIEW_ASSIGNED: {T, M, A},
    Cap.STUDENT_VIEW_ALL: {M, A},
    Cap.STUDENT_VIEW_CONTACT: {M, A},
    Cap.STUDENT_VIEW_MONEY: {A},
    Cap.STUDENT_EDIT: {M, A},
    Cap.STUDENT_REMOVE: {A},
    Cap.ACCOUNT_LIST: {M, A},
    Cap.ACCOUNT_MANAGE_TUTORS: {M, A},
    Cap.ACCOUNT_MANAGE_ANY: {A},
    Cap.ACCOUNT_DEACTIVATE: {A},
    Cap.ACCOUNT_DELETE: {A},
    Cap.ACCOUNT_CHANGE_ROLE: {A},
    Cap.MESSAGE_REPLY: {T, M, A},
    Cap.MESSAGE_SEND_TUTORS: {M, A},
    Cap.MESSAGE_BROADCAST: {A},
    Cap.REVENUE_AGGREGATE: {M, A},
    Cap.FINANCE_DETAIL: {A},
    Cap.AUDIT_VIEW: {A},
    Cap.SETTINGS_MANAGE: {A},
    Cap.EXPORT_OWN_CALENDAR: {T, M, A},
    Cap.EXPORT_OPERATIONAL: {M, A},
    Cap.EXPORT_ALL: {A},
    # Dashboards and search show each role only its own scope; reports on sessions and
    # attendance are operational (moderators), the money reports need FINANCE_DETAIL.
    Cap.DASHBOARD_VIEW: {T, M, A},
    Cap.REPORT_VIEW: {M, A},
    Cap.SEARCH: {T, M, A},
}


def test_the_table_covers_every_capability():
    assert set(EXPECTED) == set(Cap)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("capability", list(Cap))
def test_role_has_exactly_the_capabilities_of_the_design(role, capability):
    user = UserFactory.build(role=role, is_active=True)
    assert can(user, capability) is (role in EXPECTED[capability])


@pytest.mark.parametrize("capability", list(Cap))
def test_deactivated_and_anonymous_people_have_no_capability(capability):
    from django.contrib.auth.models import AnonymousUser

    assert can(AnonymousUser(), capability) is False
    assert can(UserFactory.build(role=Role.ADMIN, is_active=False), capability) is False
    assert can(None, capability) is False


@pytest.mark.parametrize(
    ("role", "roles"),
    [(T, set()), (M, {T}), (A, {T, M, A})],
)
def test_who_manages_which_accounts(role, roles):
    assert manageable_roles(UserFactory.build(role=role)) == roles
