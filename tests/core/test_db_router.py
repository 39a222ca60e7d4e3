"""Reads that may lag go to the read replica; everything else stays on the primary.

The replica here is a second, real database on the same server (PostgreSQL), or a second
file (SQLite), holding different rows from the primary's, so that every answer tells
which database it came from. Replication itself is PostgreSQL's business and not tested.
"""

from __future__ import annotations

import sqlite3
import zipfile
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connections, router
from django.utils import timezone

from tests.core.test_settings import settings_value
from tests.factories import UserFactory
from tracker.accounts.models import Role, User
from tracker.core.db_router import REPLICA, ReplicaRouter, reads_can_lag
from tracker.org.models import Subject
from tracker.reports import dashboards, data_export
from tracker.reports.periods import day_start, week_of
from tracker.scheduling.models import Session


@contextmanager
def _registered(settings_dict: dict):
    """The replica's alias, as DATABASE_REPLICA_URL would make it, for a while."""
    connections.settings[REPLICA] = settings_dict
    try:
        yield REPLICA
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def _on_server(sql: str) -> None:
    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker, tmp_path_factory):
    """A copy of the (still empty) test database, then rows the primary does not have: Rita
    teaches two sessions this week. Made once for the module, and known as `replica` from
    then on: a module's fixture comes before a test's database set-up, which must know
    every alias the test may use."""
    primary = connections["default"]
    postgres = primary.vendor == "postgresql"
    with django_db_blocker.unblock():
        # A real replica gets the tables by replication; this one is copied (migrating it
        # would take seconds).
        if postgres:
            name = f"{primary.settings_dict['NAME']}_replica"[:63]
            primary.close()  # a template database must have no one connected
            _on_server(f'DROP DATABASE IF EXISTS "{name}"')
            _on_server(f'CREATE DATABASE "{name}" TEMPLATE "{primary.settings_dict["NAME"]}"')
        else:
            name = str(tmp_path_factory.mktemp("replica") / "replica.sqlite3")
            primary.ensure_connection()
            with sqlite3.connect(name) as target:
                primary.connection.backup(target)
        settings_dict = {**primary.settings_dict, "NAME": name, "ATOMIC_REQUESTS": False}
        try:
            with _registered(settings_dict):
                rita = User.objects.using(REPLICA).create(
                    pk=900001, username="rita", first_name="Rita", last_name="Replica",
                    role=Role.TUTOR,
                )  # fmt: skip
                for hour in (9, 11):
                    Session.objects.using(REPLICA).create(
                        tutor=rita, start=_this_week_at(hour), end=_this_week_at(hour + 1)
                    )
                yield REPLICA
        finally:
            if postgres:
                _on_server(f'DROP DATABASE IF EXISTS "{name}"')


def _this_week_at(hour: int):
    monday, _ = week_of(timezone.localdate())
    return day_start(monday) + timedelta(hours=hour)


# Each test still runs in a rolled-back transaction on both databases.
BOTH = pytest.mark.django_db(databases=["default", REPLICA])


@pytest.fixture
def two_worlds(replica, db):
    """Pat teaches one session this week on the primary; on the replica Rita teaches two."""
    pat = UserFactory(username="pat", first_name="Pat", last_name="Primary", role=Role.TUTOR)
    Session.objects.create(tutor=pat, start=_this_week_at(9), end=_this_week_at(10))
    return {"pat": pat}


@BOTH
def test_reads_inside_the_block_come_from_the_replica(two_worlds):
    assert not User.objects.filter(username="rita").exists()
    with reads_can_lag():
        assert User.objects.get(username="rita").last_name == "Replica"
        assert Session.objects.count() == 2
    assert Session.objects.count() == 1


@BOTH
def test_writes_inside_the_block_go_to_the_primary(two_worlds, replica):
    with reads_can_lag():
        Subject.objects.create(name="Written while lagging")
        rita = User.objects.get(username="rita")
        assert rita._state.db == replica
    assert Subject.objects.filter(name="Written while lagging").exists()
    assert not Subject.objects.using(replica).filter(name="Written while lagging").exists()


@BOTH
def test_the_block_ends_with_its_reads(two_worlds):
    def failing_read():
        with reads_can_lag():
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_read()
    assert Session.objects.count() == 1


@BOTH
def test_a_report_reads_the_replica(two_worlds, client, admin, bearer):
    """The token is checked on the primary (where it was issued); the report's rows come
    from the replica."""
    start = timezone.localdate() - timedelta(days=7)
    end = timezone.localdate() + timedelta(days=7)
    response = client.get(
        "/api/v1/reports/sessions",
        {"by": "tutor", "start": str(start), "end": str(end)},
        **bearer(admin),
    )
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert [(row["label"], row["sessions"]) for row in rows] == [("Rita Replica", 2)]


@BOTH
def test_the_staff_dashboard_reads_the_replica_and_a_tutors_the_primary(two_worlds, moderator):
    ops = dashboards.dashboard(user=moderator, now=timezone.now()).operations
    assert ops.week.total == 2
    pat = dashboards.dashboard(user=two_worlds["pat"], now=timezone.now()).tutor
    assert pat.week.total == 1


@BOTH
def test_the_data_export_reads_the_replica_and_is_audited_on_the_primary(two_worlds, admin):
    from tracker.audit.models import AuditLog

    export = data_export.export_data(actor=admin)
    with export.file, zipfile.ZipFile(export.file) as archive:
        sessions = archive.read("sessions.csv").decode().strip().splitlines()
    assert export.counts["sessions"] == 2
    assert len(sessions) == 3  # the header and Rita's two
    assert AuditLog.objects.filter(action=data_export.EXPORTED).count() == 1


def test_without_a_replica_every_read_stays_on_the_primary(monkeypatch):
    # Every other test of reports, dashboards and exports runs this way too.
    monkeypatch.delitem(connections.settings, REPLICA, raising=False)
    with reads_can_lag():
        assert ReplicaRouter().db_for_read(Session) is None


def test_migrations_writes_and_relations_follow_the_primary():
    rule = ReplicaRouter()
    assert rule.allow_migrate("default", "scheduling") is True
    assert rule.allow_migrate(REPLICA, "scheduling") is False
    with reads_can_lag():
        assert router.db_for_write(Session) == "default"
    primary, copy = User(), User()
    primary._state.db, copy._state.db = "default", REPLICA
    assert rule.allow_relation(primary, copy) is True
    copy._state.db = "elsewhere"
    assert rule.allow_relation(primary, copy) is None


def test_database_replica_url_adds_the_replica_alias():
    found = settings_value(
        {
            "DATABASE_URL": "postgres://tracker:pw@primary.internal:5432/tracker",
            "DATABASE_REPLICA_URL": "postgres://reader:pw@replica.internal:5432/tracker",
        },
        "[{k: d.get(k) for k in ('HOST', 'USER', 'NAME', 'CONN_MAX_AGE', 'CONN_HEALTH_CHECKS',"
        " 'TEST')} for d in (s.DATABASES['default'], s.DATABASES['replica'])]"
        " + [s.DATABASE_ROUTERS]",
    )
    primary, replica, routers = found
    assert (replica["HOST"], replica["USER"], replica["NAME"]) == (
        "replica.internal", "reader", "tracker"
    )  # fmt: skip
    # Connections are kept as the primary's are; tests read the primary's test database.
    assert replica["CONN_MAX_AGE"] == primary["CONN_MAX_AGE"]
    assert replica["CONN_HEALTH_CHECKS"] == primary["CONN_HEALTH_CHECKS"]
    assert replica["TEST"]["MIRROR"] == "default"
    assert routers == ["tracker.core.db_router.ReplicaRouter"]
