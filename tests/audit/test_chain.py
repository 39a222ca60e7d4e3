"""The audit trail is append-only and tamper-evident; secrets never reach it."""

from __future__ import annotations

from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory

from tracker.audit.models import AppendOnlyError, AuditLog
from tracker.audit.selectors import audit_chain_verify
from tracker.audit.services import record
from tracker.core import request_context
from tracker.core.middleware import RequestContextMiddleware

pytestmark = pytest.mark.django_db

CONTENT_FIELDS = [
    "created_at",
    "actor_ref",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "changes",
    "ip",
    "user_agent",
    "request_id",
    "prev_hash",
    "hash",
]


@pytest.fixture
def chain(admin) -> list[AuditLog]:
    return [
        record(f"tests.step.{n}", actor=admin, target=admin, changes={"step": [n, n + 1]})
        for n in range(4)
    ]


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_recorded_entries_link_into_a_chain_that_verifies(chain):
    assert chain[0].prev_hash == "0" * 64
    for before, after in pairwise(chain):
        assert after.prev_hash == before.hash
    assert audit_chain_verify() == (len(chain), None)


def test_verify_command_reports_an_intact_chain(chain):
    assert f"{len(chain)} entries verified" in verify()


def test_verify_command_accepts_an_empty_trail():
    assert "0 entries verified" in verify()


def test_a_row_edited_in_the_database_breaks_the_chain_at_that_row(chain):
    tampered = chain[2]
    # A queryset update skips the model's guard, like an UPDATE typed into a SQL console.
    AuditLog.objects.filter(pk=tampered.pk).update(changes={"step": [0, 99]})
    with pytest.raises(CommandError, match=rf"entry {tampered.pk}: it was changed"):
        verify()


def test_a_row_deleted_in_the_database_breaks_the_chain_at_the_next_row(chain):
    table = connection.ops.quote_name(AuditLog._meta.db_table)
    with connection.cursor() as cursor:
        # The table name is ours, not input: only the id is a parameter.
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [chain[1].pk])  # noqa: S608
    with pytest.raises(CommandError, match=rf"entry {chain[2].pk}: it does not follow"):
        verify()


def test_two_rows_swapped_in_the_database_break_the_chain(chain):
    first, second = chain[1], chain[2]
    # Move the second row's contents out of the way first: `hash` is unique.
    AuditLog.objects.filter(pk=second.pk).update(hash="swap")
    AuditLog.objects.filter(pk=first.pk).update(**_contents(second))
    AuditLog.objects.filter(pk=second.pk).update(**_contents(first))
    with pytest.raises(CommandError, match=rf"entry {first.pk}\b"):
        verify()


def _contents(entry: AuditLog) -> dict[str, object]:
    return {name: getattr(entry, name) for name in CONTENT_FIELDS}


def test_secrets_and_personal_data_are_masked(admin):
    entry = record(
        "accounts.user.changed",
        actor=admin,
        target=admin,
        changes={
            "password": "hunter2-long-secret",
            "email": "ann@example.com",
            "first_name": ["Ann", "Anne"],
            "guardian": {"phone": "+27 82 555 0101", "relation": "mother"},
        },
    )
    stored = AuditLog.objects.get(pk=entry.pk).changes
    assert stored == {
        "password": "***",
        "email": "[redacted]",
        "first_name": "[redacted]",
        "guardian": {"phone": "[redacted]", "relation": "mother"},
    }
    assert audit_chain_verify() == (1, None)


def test_an_entry_cannot_be_saved_again(chain):
    entry = AuditLog.objects.get(pk=chain[0].pk)
    entry.action = "tests.rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert AuditLog.objects.get(pk=entry.pk).action == "tests.step.0"


def test_an_entry_cannot_be_deleted(chain):
    with pytest.raises(AppendOnlyError):
        chain[0].delete()
    assert AuditLog.objects.filter(pk=chain[0].pk).exists()


def test_the_actor_and_target_are_kept_as_plain_values(admin):
    entry = record("accounts.user.created", actor=admin, target=admin)
    assert (entry.actor_ref, entry.actor_label) == (admin.pk, "admin")
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(admin.pk))


def test_request_metadata_is_captured_for_a_request_through_the_middleware(admin):
    def view(request):
        record("tests.page.visited", actor=admin)
        return HttpResponse()

    request = RequestFactory().get(
        "/anything",
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Probe/1.0",
        HTTP_X_REQUEST_ID="req-42",
    )
    RequestContextMiddleware(view)(request)
    entry = AuditLog.objects.get(action="tests.page.visited")
    assert (entry.ip, entry.user_agent, entry.request_id) == ("203.0.113.7", "Probe/1.0", "req-42")
    # Once the response is out, a later entry (a command, a job) must not inherit them.
    later = record("tests.command.ran", actor=admin)
    assert (later.ip, later.user_agent, later.request_id) == (None, "", "")


def test_bound_metadata_reaches_entries_recorded_outside_a_request(admin):
    meta = request_context.RequestMeta(ip="2001:db8::1", user_agent="CLI", request_id="job-7")
    token = request_context.bind(meta)
    try:
        entry = record("tests.job.ran", actor=admin)
    finally:
        request_context.unbind(token)
    assert (entry.ip, entry.user_agent, entry.request_id) == ("2001:db8::1", "CLI", "job-7")
