"""Backup and verified restore, through the real commands on their own databases.

Every database here is the test's own: SQLite files under tmp_path, and the PostgreSQL
databases h9_backup_src / h9_backup_dst, created and dropped by the test.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tracker.core import backup
from tracker.lib.crypto import generate_key, key_id, reset_key_ring

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="runs once per suite (in the SQLite pass): it manages its own SQLite files "
        "and PostgreSQL databases, whatever the suite's database is",
    ),
    # Only for `migrated`, which copies the (migrated, in-memory) test database.
    pytest.mark.django_db,
]

ROOT = Path(__file__).resolve().parents[2]
KEY, OTHER_KEY = generate_key(), generate_key()
PHONE = "+27 83 555 0101"
GUARDIAN = "guardian.dlamini@example.org"
ROWS_PER_BATCH = 5
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgres://postgres@127.0.0.1:5432/{}"
SRC, DST = "h9_backup_src", "h9_backup_dst"

CREATE = f"""
from datetime import timedelta
from django.utils import timezone
from tracker.accounts.models import User
from tracker.accounts.services import user_create
from tracker.org.services import lookup_create
from tracker.scheduling.services import session_create
from tracker.students.services import student_create
admin = User.objects.create(username="boss", role="admin")
lookup_create(user=admin, kind="branch", name="Rondebosch")
tutor = user_create(actor=admin, username="thandi", email="", role="tutor")
student = student_create(actor=admin, first_name="Ayanda", last_name="Dlamini",
    phone="{PHONE}", guardian_email="{GUARDIAN}", notes="Asthma pump in bag", tutors=[tutor.pk])
start = timezone.now().replace(microsecond=0) + timedelta(days=1)
session_create(actor=admin, start=start, end=start + timedelta(hours=1), tutor=tutor,
    students=[student])
"""
READ = """
from tracker.audit.selectors import audit_chain_verify
from tracker.students.models import Student
s = Student.objects.get()
print(s.phone, s.guardian_email, s.notes, audit_chain_verify(), sep="|")
"""
# Each batch is one transaction: a branch and ROWS_PER_BATCH audit entries, written slowly
# so that a snapshot usually falls while a batch is half written.
WRITER = f"""
import pathlib, time
from django.db import transaction
from tracker.accounts.models import User
from tracker.audit.services import record
from tracker.org.services import lookup_create
admin, _ = User.objects.get_or_create(username="writer", role="admin")
progress = pathlib.Path(PROGRESS)
batch, deadline = 0, time.monotonic() + 90
while not pathlib.Path(STOP).exists() and time.monotonic() < deadline:
    with transaction.atomic():
        lookup_create(user=admin, kind="branch", name=f"batch-{{batch}}")
        for row in range({ROWS_PER_BATCH}):
            record("test.batch.row", target_type="batch", target_id=batch, changes={{"row": row}})
            time.sleep(0.003)
    batch += 1
    progress.write_text(str(batch))
    time.sleep(0.005)
"""


def environment(database_url: str, backup_dir: Path, *, keys=(KEY,), keep=14) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE", "BACKUP_KEY"}
    }
    env.update(
        DATABASE_URL=database_url,
        FIELD_ENCRYPTION_KEYS=",".join(keys),
        BACKUP_DIR=str(backup_dir),
        BACKUP_KEEP=str(keep),
    )
    return env


def manage(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if ok:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0, result.stdout
    return result


def sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute(backup.SQLITE_TABLES)]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


def only_backup(directory: Path) -> Path:
    (found,) = (p for p in directory.glob("*.stbak") if p.read_bytes().startswith(backup.MAGIC))
    return found


@pytest.fixture(scope="module")
def migrated(tmp_path_factory, django_db_setup, django_db_blocker) -> Path:
    """A migrated, empty SQLite file: a copy of the test database (seconds cheaper than
    running every migration again)."""
    path = tmp_path_factory.mktemp("schema") / "migrated.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
    return path


@pytest.fixture(scope="module")
def source(migrated, tmp_path_factory) -> dict:
    """A SQLite database with users, a student's PII, a session and audit entries, and
    one backup of it."""
    work = tmp_path_factory.mktemp("source")
    db_file = work / "db.sqlite3"
    db_file.write_bytes(migrated.read_bytes())
    # An older backup of ours and two files that are not ours: BACKUP_KEEP=1 must delete
    # only the first.
    backups = work / "backups"
    backups.mkdir()
    (backups / "tracker-20000101T000000.000000Z.stbak").write_bytes(backup.MAGIC + b"old")
    (backups / "tracker-19990101T000000.000000Z.stbak").write_bytes(b"someone else's file")
    (backups / "notes.txt").write_text("keep me")
    env = environment(f"sqlite:///{db_file}", backups, keep=1)
    manage(env, "shell", "-c", CREATE)
    counts = sqlite_counts(db_file)
    out = manage(env, "backup").stdout
    return {"db": db_file, "counts": counts, "out": out, "backups": backups, "work": work}


def test_sqlite_backup_is_encrypted_and_keeps_only_the_newest(source):
    path = only_backup(source["backups"])
    assert f"Backup written: {path} ({path.stat().st_size:,} bytes" in source["out"]
    assert "Deleted old backup tracker-20000101T000000.000000Z.stbak" in source["out"]
    assert sorted(p.name for p in source["backups"].iterdir()) == [
        "notes.txt", "tracker-19990101T000000.000000Z.stbak", path.name,
    ]  # fmt: skip
    raw = path.read_bytes()
    for secret in (b"Ayanda", b"Dlamini", b"thandi", b"SQLite format"):
        assert secret not in raw
    with path.open("rb") as stream:
        manifest = backup.read_header(stream).manifest
    assert manifest["tables"] == source["counts"]
    assert manifest["vendor"] == "sqlite"
    assert manifest["field_keys"]["used"] == {key_id(base64.urlsafe_b64decode(KEY)): 3}
    assert KEY not in json.dumps(manifest)


def test_sqlite_round_trip_restores_every_row_pii_and_the_audit_chain(source, tmp_path):
    target = tmp_path / "restored.sqlite3"
    env = environment(f"sqlite:///{target}", tmp_path)

    out = manage(env, "restore", str(only_backup(source["backups"]))).stdout

    expected = dict(source["counts"])
    assert f"{len(expected)} tables and {sum(expected.values()):,} rows match" in out
    assert f"audit chain intact ({expected['audit_auditlog']} entries verified)" in out
    expected["audit_auditlog"] += 1  # the restore itself is audited
    assert sqlite_counts(target) == expected
    with sqlite3.connect(target) as db:
        last = db.execute("SELECT action FROM audit_auditlog ORDER BY id DESC").fetchone()[0]
    assert last == "security.backup.restored"
    read = manage(env, "shell", "-c", READ).stdout.strip().splitlines()[-1]
    entries = expected["audit_auditlog"]
    assert read == f"{PHONE}|{GUARDIAN}|Asthma pump in bag|({entries}, None)"


def test_restore_refuses_a_wrong_key_an_altered_file_and_a_non_empty_database(source, tmp_path):
    good = only_backup(source["backups"])
    target = tmp_path / "new.sqlite3"

    wrong = manage(environment(f"sqlite:///{target}", tmp_path, keys=(OTHER_KEY,)),
                   "restore", str(good), ok=False)  # fmt: skip
    assert "Wrong key" in wrong.stderr
    assert key_id(base64.urlsafe_b64decode(KEY)) in wrong.stderr  # names the key it needs

    altered = tmp_path / "altered.stbak"
    raw = bytearray(good.read_bytes())
    raw[-100] ^= 0x01
    altered.write_bytes(raw)
    env = environment(f"sqlite:///{target}", tmp_path)
    tampered = manage(env, "restore", str(altered), ok=False)
    assert "altered or damaged" in tampered.stderr
    assert not target.exists() or sqlite_counts(target) == {}

    before = sqlite_counts(source["db"])
    checked = manage(environment(f"sqlite:///{source['db']}", tmp_path),
                     "restore", "--check", str(good))  # fmt: skip
    assert "The file is intact and this installation can open it." in checked.stdout
    occupied = manage(environment(f"sqlite:///{source['db']}", tmp_path),
                      "restore", str(good), ok=False)  # fmt: skip
    assert "Refusing to restore" in occupied.stderr
    assert "not empty" in occupied.stderr
    assert sqlite_counts(source["db"]) == before


def seal(payload: bytes, key: bytes) -> bytes:
    out = io.BytesIO()
    pieces = (payload[i : i + 1000] for i in range(0, len(payload), 1000))
    backup.seal(out, key=key, manifest={"vendor": "sqlite", "rows": 1}, blocks=pieces)
    return out.getvalue()


def unseal(blob: bytes, key: bytes) -> bytes:
    stream = io.BytesIO(blob)
    header = backup.read_header(stream)
    return b"".join(backup.open_chunks(stream, header, key))


def test_the_container_detects_every_kind_of_tampering(monkeypatch):
    monkeypatch.setattr(backup, "CHUNK", 4096)
    key = os.urandom(32)
    payload = os.urandom(3 * 4096 + 17)
    blob = seal(payload, key)
    assert unseal(blob, key) == payload
    assert unseal(seal(b"", key), key) == b""

    header_end = 28 + int.from_bytes(blob[24:28], "big")  # magic..prefix, length, manifest
    first = header_end + 4 + 4096 + 16  # end of chunk 0
    cases = {
        "manifest edited": blob.replace(b'"rows": 1', b'"rows": 2'),
        "ciphertext bit flipped": blob[:-50] + bytes([blob[-50] ^ 1]) + blob[-49:],
        "last chunk dropped": blob[: first + 2 * (4 + 4096 + 16)],
        "chunks swapped": blob[:header_end] + blob[first : first + 4116] + blob[header_end:first]
        + blob[first + 4116 :],
        "data appended": blob + b"\0\0\0\0",
        "cut mid-chunk": blob[:-10],
    }  # fmt: skip
    unnoticed = []
    for name, damaged in cases.items():
        try:
            unseal(damaged, key)
        except backup.BackupError:
            continue
        unnoticed.append(name)
    assert unnoticed == []
    with pytest.raises(backup.BackupError, match="fails authentication"):
        unseal(blob, os.urandom(32))


@pytest.fixture
def ring(settings):
    """This process's field keys: KEY only (the ring is cached, so reset it around)."""
    settings.FIELD_ENCRYPTION_KEYS = [KEY]
    settings.BACKUP_KEY = ""
    reset_key_ring()
    yield
    reset_key_ring()


def sealed_file(path: Path, key: bytes, used: dict[str, int]) -> Path:
    manifest = {"vendor": "sqlite", "tables": {}, "rows": 0,
                "field_keys": {"ring": sorted(used), "used": used}}  # fmt: skip
    with path.open("wb") as out:
        backup.seal(out, key=key, manifest=manifest, blocks=[b"payload"])
    return path


def test_a_backup_key_setting_still_opens_backups_made_before_it(ring, settings, tmp_path):
    derived = sealed_file(tmp_path / "derived.stbak", backup.sealing_key(), {})
    settings.BACKUP_KEY = base64.b64encode(os.urandom(32)).decode()  # standard alphabet too
    explicit = sealed_file(tmp_path / "explicit.stbak", backup.sealing_key(), {})

    assert backup.backup_restore(derived, check_only=True).problems == []
    assert backup.backup_restore(explicit, check_only=True).problems == []
    settings.BACKUP_KEY = ""
    with pytest.raises(backup.BackupError, match="Wrong key"):
        backup.backup_restore(explicit, check_only=True)
    settings.BACKUP_KEY = base64.b64encode(os.urandom(16)).decode()
    with pytest.raises(backup.BackupError, match="32 bytes"):
        backup.sealing_key()


def test_restore_names_the_field_keys_it_lacks(ring, tmp_path):
    ours = key_id(base64.urlsafe_b64decode(KEY))
    path = sealed_file(tmp_path / "b.stbak", backup.sealing_key(), {ours: 3, "0badc0de": 2})

    report = backup.backup_restore(path, check_only=True)

    assert len(report.problems) == 1
    assert "0badc0de" in report.problems[0]
    assert ours not in report.problems[0]


def test_pruning_deletes_only_our_oldest_backups(tmp_path):
    ours = [tmp_path / f"tracker-2024010{day}T000000.000000Z.stbak" for day in range(1, 5)]
    for path in ours:
        path.write_bytes(backup.MAGIC + b"payload")
    lookalike = tmp_path / "tracker-20230101T000000.000000Z.stbak"
    lookalike.write_bytes(b"not a backup of ours")

    assert backup.prune(tmp_path, 2) == [ours[1], ours[0]]
    assert backup.prune(tmp_path, 0) == []
    assert sorted(tmp_path.iterdir()) == sorted([lookalike, ours[2], ours[3]])


def batches_in_sqlite(path: Path) -> tuple[dict[str, int], set[str]]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT target_id, COUNT(*) FROM audit_auditlog WHERE action = 'test.batch.row' "
            "GROUP BY target_id"
        ).fetchall()
        branches = db.execute("SELECT name FROM org_branch WHERE name LIKE 'batch-%'").fetchall()
    return dict(rows), {name.removeprefix("batch-") for (name,) in branches}


class Writer:
    """The batch writer, run against one database in its own process."""

    def __init__(self, workdir: Path) -> None:
        self.progress, self.stop = workdir / "progress", workdir / "stop"
        self.process: subprocess.Popen | None = None

    def start(self, env: dict[str, str]) -> None:
        self.progress.unlink(missing_ok=True)
        self.stop.unlink(missing_ok=True)
        script = f"PROGRESS = {str(self.progress)!r}\nSTOP = {str(self.stop)!r}\n{WRITER}"
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def written(self) -> int:
        return int(self.progress.read_text() or 0) if self.progress.exists() else 0

    def wait_for(self, batches: int) -> None:
        deadline = time.monotonic() + 60
        while self.written() < batches:
            assert self.process.poll() is None, self.process.communicate()[1]
            assert time.monotonic() < deadline, "the writer made no progress"
            time.sleep(0.05)

    def finish(self) -> int:
        self.stop.touch()
        _, err = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, err
        return self.written()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture
def writer(tmp_path) -> Iterator[Writer]:
    running = Writer(tmp_path)
    yield running
    running.kill()


def assert_whole_batches(restored: dict[str, int], branches: set[str], written: int) -> None:
    assert restored, "the snapshot holds no batch at all"
    assert set(restored.values()) == {ROWS_PER_BATCH}, restored  # no half-written batch
    assert set(restored) == branches  # the branch row came with its audit rows
    assert len(restored) < written  # writes went on after the snapshot


def test_sqlite_backup_while_writes_run_restores_whole_transactions(migrated, tmp_path, writer):
    db_file, target = tmp_path / "busy.sqlite3", tmp_path / "restored.sqlite3"
    db_file.write_bytes(migrated.read_bytes())
    env = environment(f"sqlite:///{db_file}", tmp_path / "backups")
    writer.start(env)
    writer.wait_for(3)

    manage(env, "backup")
    done = writer.written()
    writer.wait_for(done + 2)
    written = writer.finish()

    out = manage(environment(f"sqlite:///{target}", tmp_path),
                 "restore", str(only_backup(tmp_path / "backups"))).stdout  # fmt: skip
    assert "audit chain intact" in out
    assert_whole_batches(*batches_in_sqlite(target), written)


# --- PostgreSQL --------------------------------------------------------------------------


@pytest.fixture
def pg_databases() -> Iterator:
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is unreachable and CI=true: {exc}")
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is unreachable (outside CI): {exc}")

    def recreate(name: str) -> None:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")

    def query(name: str, sql: str) -> list[tuple]:
        with psycopg.connect(PG_URL.format(name)) as db:
            return db.execute(sql).fetchall()

    recreate.query = query
    try:
        recreate(SRC)
        recreate(DST)
        yield recreate
    finally:
        for name in (SRC, DST):
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def pg_counts(query, name: str) -> dict[str, int]:
    tables = [t for (t,) in query(name, backup.PG_TABLES)]
    return {t: query(name, f'SELECT COUNT(*) FROM "{t}"')[0][0] for t in tables}  # noqa: S608


def test_postgresql_round_trip_and_backup_while_writes_run(pg_databases, tmp_path, writer):
    query = pg_databases.query
    src = environment(PG_URL.format(SRC), tmp_path / "backups")
    dst = environment(PG_URL.format(DST), tmp_path / "unused")
    manage(src, "migrate", "-v0")
    manage(src, "shell", "-c", CREATE)
    counts = pg_counts(query, SRC)

    manage(src, "backup")
    quiet = only_backup(tmp_path / "backups")
    out = manage(dst, "restore", str(quiet)).stdout
    assert f"{len(counts)} tables and {sum(counts.values()):,} rows match" in out
    counts["audit_auditlog"] += 1  # the restore itself is audited
    assert pg_counts(query, DST) == counts
    read = manage(dst, "shell", "-c", READ).stdout.strip().splitlines()[-1]
    assert read == f"{PHONE}|{GUARDIAN}|Asthma pump in bag|({counts['audit_auditlog']}, None)"

    quiet.unlink()
    writer.start(src)
    writer.wait_for(3)
    manage(src, "backup")
    done = writer.written()
    writer.wait_for(done + 2)
    written = writer.finish()
    pg_databases(DST)
    out = manage(dst, "restore", str(only_backup(tmp_path / "backups"))).stdout
    assert "audit chain intact" in out
    rows = query(DST, "SELECT target_id, COUNT(*) FROM audit_auditlog "
                      "WHERE action = 'test.batch.row' GROUP BY target_id")  # fmt: skip
    branches = query(DST, "SELECT name FROM org_branch WHERE name LIKE 'batch-%'")
    assert_whole_batches(dict(rows), {n.removeprefix("batch-") for (n,) in branches}, written)
