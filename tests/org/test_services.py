from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tracker.org import services
from tracker.org.selectors import lookup_model
from tracker.org.services import lookup_create, lookup_set_active, lookup_update

pytestmark = pytest.mark.django_db


def name_error(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return excinfo.value.message_dict["name"][0]


def test_create_saves_the_stripped_name_and_records_it(admin, kind, org_entries):
    obj = lookup_create(user=admin, kind=kind, name="  Mathematics ")

    assert obj.pk is not None
    assert obj.name == "Mathematics"
    assert obj.is_active
    [entry] = org_entries()
    assert entry.action == f"org.{kind}.created"
    assert entry.actor_ref == admin.pk
    assert (entry.target_type, entry.target_id) == (f"org.{kind}", str(obj.pk))
    assert entry.changes["name"] == "Mathematics"


def test_a_branch_keeps_its_address_and_the_trail_hides_it(admin, org_entries):
    branch = lookup_create(user=admin, kind="branch", name="Rosebank", address=" 12 Tyrwhitt ")

    assert branch.address == "12 Tyrwhitt"
    assert org_entries()[0].changes == {"name": "Rosebank", "address": "[redacted]"}


@pytest.mark.parametrize("kind_without_address", ["school", "subject"])
def test_only_branches_take_an_address(admin, kind_without_address):
    with pytest.raises(ValidationError) as excinfo:
        lookup_create(user=admin, kind=kind_without_address, name="X", address="Somewhere")
    assert "address" in excinfo.value.message_dict


@pytest.mark.parametrize("existing", ["Mathematics", "MATHEMATICS", "mathematics"])
def test_duplicate_names_are_refused_whatever_their_case(
    admin, kind, make_lookup, org_entries, existing
):
    make_lookup(kind, name=existing)

    with pytest.raises(ValidationError) as excinfo:
        lookup_create(user=admin, kind=kind, name=" Mathematics ")

    assert "already" in name_error(excinfo)
    assert lookup_model(kind).objects.filter(name__iexact="mathematics").count() == 1
    assert org_entries() == []


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_blank_names_are_refused(admin, kind, org_entries, blank):
    before = lookup_model(kind).objects.count()

    with pytest.raises(ValidationError) as excinfo:
        lookup_create(user=admin, kind=kind, name=blank)

    assert name_error(excinfo) == "Enter a name."
    assert lookup_model(kind).objects.count() == before
    assert org_entries() == []


def test_names_longer_than_the_column_are_refused(admin, kind):
    with pytest.raises(ValidationError) as excinfo:
        lookup_create(user=admin, kind=kind, name="x" * 121)
    assert "120" in name_error(excinfo)


def test_losing_a_race_to_the_same_name_is_a_field_error_not_a_crash(
    admin, kind, make_lookup, org_entries
):
    make_lookup(kind, name="Piano")
    # Both requests passed the check before either saved: the constraint decides.
    with (
        mock.patch.object(services, "_name_taken", return_value=False),
        pytest.raises(ValidationError) as excinfo,
    ):
        lookup_create(user=admin, kind=kind, name="piano")

    assert "already" in name_error(excinfo)
    assert org_entries() == []
    # The caller's transaction survived the failed insert.
    assert lookup_model(kind).objects.filter(name="Piano").exists()


def test_update_records_what_changed(admin, kind, make_lookup, org_entries):
    obj = make_lookup(kind, name="Maths")

    lookup_update(user=admin, instance=obj, name="Mathematics")

    obj.refresh_from_db()
    assert obj.name == "Mathematics"
    [entry] = org_entries()
    assert entry.action == f"org.{kind}.updated"
    assert entry.target_id == str(obj.pk)
    assert entry.changes == {"name": ["Maths", "Mathematics"]}


def test_a_branch_can_move_without_being_renamed(admin, make_lookup, org_entries):
    branch = make_lookup("branch", name="Sandton", address="Old road")

    lookup_update(user=admin, instance=branch, address="5 Rivonia Rd")

    branch.refresh_from_db()
    assert (branch.name, branch.address) == ("Sandton", "5 Rivonia Rd")
    assert org_entries()[0].changes == {"address": "[redacted]"}


def test_changing_only_the_case_of_a_name_is_allowed(admin, kind, make_lookup):
    obj = make_lookup(kind, name="afrikaans")
    lookup_update(user=admin, instance=obj, name="Afrikaans")
    obj.refresh_from_db()
    assert obj.name == "Afrikaans"


def test_renaming_onto_another_lookup_is_refused(admin, kind, make_lookup, org_entries):
    make_lookup(kind, name="English")
    obj = make_lookup(kind, name="Englsh")

    with pytest.raises(ValidationError) as excinfo:
        lookup_update(user=admin, instance=obj, name="ENGLISH")

    assert "already" in name_error(excinfo)
    obj.refresh_from_db()
    assert obj.name == "Englsh"
    assert org_entries() == []


def test_an_update_that_changes_nothing_leaves_no_trail(admin, kind, make_lookup, org_entries):
    obj = make_lookup(kind, name="Piano")
    lookup_update(user=admin, instance=obj, name=" Piano ")
    assert org_entries() == []


def test_deactivating_and_reactivating_are_recorded(admin, kind, make_lookup, org_entries):
    obj = make_lookup(kind, name="Piano")

    lookup_set_active(user=admin, instance=obj, active=False)
    obj.refresh_from_db()
    assert not obj.is_active

    lookup_set_active(user=admin, instance=obj, active=True)
    obj.refresh_from_db()
    assert obj.is_active

    assert [(e.action, e.changes) for e in org_entries()] == [
        (f"org.{kind}.deactivated", {"is_active": [True, False]}),
        (f"org.{kind}.reactivated", {"is_active": [False, True]}),
    ]


def test_setting_the_state_it_already_has_leaves_no_trail(admin, kind, make_lookup, org_entries):
    obj = make_lookup(kind, name="Piano")
    lookup_set_active(user=admin, instance=obj, active=True)
    assert org_entries() == []


@pytest.mark.parametrize("role", ["moderator", "tutor"])
def test_only_admins_may_change_lookups(request, kind, make_lookup, org_entries, role):
    user = request.getfixturevalue(role)
    obj = make_lookup(kind, name="Piano")

    with pytest.raises(PermissionDenied):
        lookup_create(user=user, kind=kind, name="Guitar")
    with pytest.raises(PermissionDenied):
        lookup_update(user=user, instance=obj, name="Keyboard")
    with pytest.raises(PermissionDenied):
        lookup_set_active(user=user, instance=obj, active=False)

    obj.refresh_from_db()
    assert (obj.name, obj.is_active) == ("Piano", True)
    assert org_entries() == []
