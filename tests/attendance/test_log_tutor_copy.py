"""Logs carry their session's tutor, which a tutor's sent-back count reads from one index
(tracker/attendance/models.py)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker.attendance import selectors, services
from tracker.attendance.models import SessionLog
from tracker.reports import dashboards

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("tracker.attendance.migrations.0003_sessionlog_tutor")


def test_a_log_made_by_anyone_carries_the_sessions_tutor(
    tutor, other_tutor, moderator, book, earlier_today
):
    mine, theirs = book(earlier_today(4)), book(earlier_today(2), tutor=other_tutor)
    services.session_log(actor=tutor, session=mine, outcome="completed")
    services.session_log(actor=moderator, session=theirs, outcome="cancelled", cancelled_by="tutor")
    assert dict(SessionLog.objects.values_list("session_id", "tutor_id")) == {
        mine.pk: tutor.pk,
        theirs.pk: other_tutor.pk,
    }


def test_sent_back_logs_are_counted_for_their_sessions_tutor_only(
    tutor, other_tutor, moderator, book, earlier_today
):
    mine, theirs = book(earlier_today(4)), book(earlier_today(2), tutor=other_tutor)
    for session, by in ((mine, tutor), (theirs, other_tutor)):
        services.session_log(actor=by, session=session, outcome="completed")
    services.log_send_back(actor=moderator, session=mine, comment="Which chapter?")
    assert [log.session_id for log in selectors.sent_back_to(user=tutor)] == [mine.pk]
    assert not selectors.sent_back_to(user=other_tutor).exists()
    assert dashboards.tutor_dashboard(user=tutor).sent_back == 1
    assert dashboards.tutor_dashboard(user=other_tutor).sent_back == 0
    with CaptureQueriesContext(connection) as captured:
        selectors.sent_back_to(user=tutor).count()
    assert "scheduling_session" not in captured.captured_queries[0]["sql"]  # no join


def test_the_migration_fills_in_logs_written_before_it(tutor, other_tutor, book, earlier_today):
    mine, theirs = book(earlier_today(4)), book(earlier_today(2), tutor=other_tutor)
    services.session_log(actor=tutor, session=mine, outcome="completed")
    services.session_log(actor=other_tutor, session=theirs, outcome="completed")
    SessionLog.objects.update(tutor=tutor)  # as if nothing had been copied yet
    backfill.copy_tutors(apps, schema_editor=None)
    assert dict(SessionLog.objects.values_list("session_id", "tutor_id")) == {
        mine.pk: tutor.pk,
        theirs.pk: other_tutor.pk,
    }
