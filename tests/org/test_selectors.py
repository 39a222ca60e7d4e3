from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tracker.org.selectors import get_lookup_for_user, lookup_list, lookup_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(kind, make_lookup):
    return make_lookup(kind, name="Zulu"), make_lookup(kind, name="Xhosa", is_active=False)


@pytest.mark.parametrize("role", ["admin", "moderator", "tutor"])
def test_everyone_signed_in_lists_the_active_ones(request, kind, pair, role):
    user = request.getfixturevalue(role)
    names = set(lookup_list(user=user, kind=kind).values_list("name", flat=True))
    assert "Zulu" in names
    assert "Xhosa" not in names


def test_admins_may_include_the_inactive_ones(admin, kind, pair):
    names = set(
        lookup_list(user=admin, kind=kind, include_inactive=True).values_list("name", flat=True)
    )
    assert {"Zulu", "Xhosa"} <= names


@pytest.mark.parametrize("role", ["moderator", "tutor"])
def test_others_may_not_ask_for_the_inactive_ones(request, kind, role):
    with pytest.raises(PermissionDenied):
        lookup_list(user=request.getfixturevalue(role), kind=kind, include_inactive=True)


def test_nobody_signed_out_lists_anything(kind):
    with pytest.raises(PermissionDenied):
        lookup_list(user=AnonymousUser(), kind=kind)


def test_a_deactivated_account_lists_nothing(tutor, kind):
    tutor.is_active = False
    with pytest.raises(PermissionDenied):
        lookup_list(user=tutor, kind=kind)


def test_an_inactive_lookup_is_found_by_admins_and_hidden_from_others(admin, tutor, kind, pair):
    _, inactive = pair
    assert get_lookup_for_user(user=admin, kind=kind, obj_id=inactive.pk) == inactive
    with pytest.raises(Http404):
        get_lookup_for_user(user=tutor, kind=kind, obj_id=inactive.pk)


def test_an_unknown_id_is_404(admin, kind):
    with pytest.raises(Http404):
        get_lookup_for_user(user=admin, kind=kind, obj_id=999_999)


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="colour"):
        lookup_model("colour")
