"""Encrypted, self-describing database backups and their verified restore.

A backup is one file, `tracker-<UTC time>.stbak`, in BACKUP_DIR:

    magic        8 bytes   b"STBACKUP"
    version      1 byte    1
    key id       8 bytes   ASCII hex: which backup key sealed the file (crypto.key_id)
    nonce prefix 7 bytes   random, once per file
    manifest     4 bytes   big-endian length, then UTF-8 JSON
    chunks       repeated: 4 bytes big-endian length, then AES-256-GCM ciphertext + tag

Chunk i holds at most 1 MiB of payload, sealed with the nonce `prefix || i (4 bytes) ||
final flag (1 byte)` and the SHA-256 of the header (magic to manifest) as associated
data. So the manifest cannot be edited, and chunks cannot be altered, reordered, dropped
or cut off at the end without the restore noticing. Streaming in chunks keeps memory flat
and has no size limit (a whole-file seal would hold the dump in memory twice and stop at
2 GiB); it costs 20 bytes per MiB.

The manifest is readable without the key, on purpose: it says which keys the backup
needs, so a restore with the wrong key can say which one is missing. It holds no personal
data: times, table names, row counts, migration names, key ids (never keys).

The payload is a SQLite database file (zlib-compressed), taken with SQLite's online
backup API, or a `pg_dump --format=custom` archive (already compressed). Both are taken
from one snapshot of the database while writes go on, and the manifest's row counts are
read from that same snapshot, so a restore can compare them exactly.

The backup key is BACKUP_KEY (base64 of 32 bytes) or, when that is empty, derived with
HKDF from the first field-encryption key. A restore tries BACKUP_KEY and a key derived
from every field key in the ring, picked by key id, so backups taken before a key
rotation open as long as the old key stays in the ring.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tracker.audit.selectors import audit_chain_verify
from tracker.audit.services import record
from tracker.lib import crypto
from tracker.lib.rotation import encrypted_columns

MAGIC = b"STBACKUP"
VERSION = 1
CHUNK = 1 << 20
TAG_BYTES = 16
PREFIX_BYTES = 7
MAX_MANIFEST = 16 << 20
SUFFIX = ".stbak"
FILE_PREFIX = "tracker-"
HKDF_INFO = b"students-tracker backup key v1"

SQLITE_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"
)
PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"

# libpq reads these from the environment; Django-only OPTIONS (pool, ...) are left out.
PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "service": "PGSERVICE",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class BackupError(Exception):
    """Something an operator must fix; the message says what."""


# --- keys --------------------------------------------------------------------------------


def _derive(field_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(field_key)


def _field_keys() -> list[bytes]:
    # The ring keeps its raw keys private; backups need them only to derive a backup key.
    return crypto._configured_keys()


def _explicit_key() -> bytes | None:
    text = (settings.BACKUP_KEY or "").strip()
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text.translate(str.maketrans("+/", "-_")))
    except (binascii.Error, ValueError):
        raise BackupError("BACKUP_KEY is not base64.") from None
    if len(raw) != 32:
        raise BackupError("BACKUP_KEY must be 32 bytes, base64-encoded.")
    return raw


def sealing_key() -> bytes:
    return _explicit_key() or _derive(_field_keys()[0])


def opening_keys() -> dict[str, bytes]:
    """Every backup key this installation holds, by key id."""
    keys = {crypto.key_id(k): k for k in map(_derive, _field_keys())}
    explicit = _explicit_key()
    if explicit is not None:
        keys[crypto.key_id(explicit)] = explicit
    return keys


def key_ring_ids() -> list[str]:
    return [crypto.key_id(k) for k in _field_keys()]


# --- the container -----------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    key_id: str
    manifest: dict[str, Any]
    nonce_prefix: bytes
    aad: bytes


def _nonce(prefix: bytes, index: int, *, last: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _rechunk(blocks: Iterable[bytes], size: int) -> Iterator[bytes]:
    buffer = bytearray()
    for block in blocks:
        buffer += block
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def seal(out: IO[bytes], *, key: bytes, manifest: dict[str, Any], blocks: Iterable[bytes]) -> None:
    """Write the header, then the payload `blocks` sealed chunk by chunk."""
    body = json.dumps(manifest, sort_keys=True).encode()
    prefix = secrets.token_bytes(PREFIX_BYTES)
    header = (
        MAGIC
        + bytes([VERSION])
        + crypto.key_id(key).encode()
        + prefix
        + len(body).to_bytes(4, "big")
        + body
    )
    out.write(header)
    aad = hashlib.sha256(header).digest()
    aead = AESGCM(key)

    def write(index: int, piece: bytes, *, last: bool) -> None:
        sealed = aead.encrypt(_nonce(prefix, index, last=last), piece, aad)
        out.write(len(sealed).to_bytes(4, "big") + sealed)

    # One chunk of look-ahead: the final chunk must know it is final.
    pieces = _rechunk(blocks, CHUNK)
    pending, index = next(pieces, b""), 0
    for piece in pieces:
        write(index, pending, last=False)
        pending, index = piece, index + 1
    write(index, pending, last=True)


def _read_exact(stream: IO[bytes], size: int, what: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise BackupError(f"The file is cut short ({what} incomplete): it is damaged.")
    return data


def read_header(stream: IO[bytes]) -> Header:
    if stream.read(len(MAGIC)) != MAGIC:
        raise BackupError("This is not a Students Tracker backup file.")
    fixed = _read_exact(stream, 1 + 8 + PREFIX_BYTES + 4, "header")
    if fixed[0] != VERSION:
        raise BackupError(f"Backup format version {fixed[0]} is not supported here.")
    kid, prefix = fixed[1:9].decode("ascii", "replace"), fixed[9 : 9 + PREFIX_BYTES]
    length = int.from_bytes(fixed[-4:], "big")
    if length > MAX_MANIFEST:
        raise BackupError("The backup's manifest is implausibly large: the file is damaged.")
    body = _read_exact(stream, length, "manifest")
    try:
        manifest = json.loads(body)
    except ValueError:
        raise BackupError("The backup's manifest is unreadable: the file is damaged.") from None
    return Header(kid, manifest, prefix, hashlib.sha256(MAGIC + fixed + body).digest())


def open_chunks(stream: IO[bytes], header: Header, key: bytes) -> Iterator[bytes]:
    """Yield the payload chunk by chunk, each one authenticated before it is yielded."""
    aead = AESGCM(key)
    index = 0
    while True:
        length_bytes = stream.read(4)
        if not length_bytes:
            raise BackupError("The file ends before its last chunk: it is truncated.")
        if len(length_bytes) != 4:
            raise BackupError("The file is cut short (chunk incomplete): it is damaged.")
        length = int.from_bytes(length_bytes, "big")
        if not TAG_BYTES <= length <= CHUNK + TAG_BYTES:
            raise BackupError("The file is damaged (a chunk length is invalid).")
        sealed = _read_exact(stream, length, "chunk")
        piece, last = _open_chunk(aead, header, index, sealed)
        yield piece
        if last:
            if stream.read(1):
                raise BackupError("The file has data after its last chunk: it was altered.")
            return
        index += 1


def _open_chunk(aead: AESGCM, header: Header, index: int, sealed: bytes) -> tuple[bytes, bool]:
    # The final flag lives in the nonce only: flipping it, or cutting the file after any
    # chunk, fails authentication.
    for last in (False, True):
        try:
            nonce = _nonce(header.nonce_prefix, index, last=last)
            return aead.decrypt(nonce, sealed, header.aad), last
        except InvalidTag:
            continue
    raise BackupError(f"The backup was altered or damaged: chunk {index} fails authentication.")


def open_payload(stream: IO[bytes], header: Header, key: bytes) -> Iterator[bytes]:
    chunks = open_chunks(stream, header, key)
    if header.manifest.get("compression") != "zlib":
        yield from chunks
        return
    inflate = zlib.decompressobj()
    for chunk in chunks:
        yield inflate.decompress(chunk)
    yield inflate.flush()


def choose_key(header: Header) -> bytes:
    keys = opening_keys()
    if header.key_id in keys:
        return keys[header.key_id]
    needs = ", ".join(header.manifest.get("field_keys", {}).get("ring", [])) or "unknown"
    raise BackupError(
        f"Wrong key: this backup was sealed with backup key {header.key_id}; this "
        f"installation holds {', '.join(sorted(keys)) or 'none'}. Set BACKUP_KEY to the key "
        f"used when it was made, or put the field-encryption key it was derived from (key "
        f"ids at backup time: {needs}) in FIELD_ENCRYPTION_KEYS."
    )


# --- what a database holds ---------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_counts(cursor: Any, vendor: str) -> dict[str, int]:
    cursor.execute(SQLITE_TABLES if vendor == "sqlite" else PG_TABLES)
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 (a catalogue name)
        counts[table] = cursor.fetchone()[0]
    return counts


def _migrations(cursor: Any, tables: dict[str, int]) -> dict[str, Any]:
    if "django_migrations" not in tables:
        return {"applied": 0, "latest": {}}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    latest: dict[str, str] = {}
    rows = cursor.fetchall()
    for app, name in rows:
        latest[app] = name
    return {"applied": len(rows), "latest": latest}


def _keys_used(cursor: Any, tables: dict[str, int]) -> dict[str, int]:
    """How many stored values each field key sealed: what a restore will need."""
    used: dict[str, int] = {}
    start = len(crypto.PREFIX) + 2
    for table, _pk, fields in encrypted_columns():
        if table not in tables:
            continue
        for f in fields:
            column = _quote(f.column)
            cursor.execute(
                f"SELECT substr({column}, {start}, 8), COUNT(*) FROM {_quote(table)} "  # noqa: S608
                f"WHERE {column} LIKE '{crypto.PREFIX}:%' GROUP BY substr({column}, {start}, 8)"
            )
            for kid, count in cursor.fetchall():
                used[kid] = used.get(kid, 0) + count
    return dict(sorted(used.items()))


def _manifest(cursor: Any, *, vendor: str, payload: str, compression: str) -> dict[str, Any]:
    tables = _table_counts(cursor, vendor)
    ring = key_ring_ids()
    return {
        "format": VERSION,
        "created_at": timezone.now().isoformat(),
        "vendor": vendor,
        "payload": payload,
        "compression": compression,
        "migrations": _migrations(cursor, tables),
        "tables": tables,
        "rows": sum(tables.values()),
        "field_keys": {"ring": ring, "current": ring[0], "used": _keys_used(cursor, tables)},
    }


# --- backup ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    manifest: dict[str, Any]
    deleted: list[Path]


def backup_dir() -> Path:
    return Path(str(settings.BACKUP_DIR))


def _private_temp(directory: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    os.close(fd)
    return Path(name)


def _sqlite_path() -> Path:
    name = str(settings.DATABASES["default"]["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(name)


def _file_blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        yield from iter(lambda: source.read(CHUNK), b"")


def _deflate(blocks: Iterable[bytes]) -> Iterator[bytes]:
    deflate = zlib.compressobj(6)
    for block in blocks:
        yield deflate.compress(block)
    yield deflate.flush()


def _backup_sqlite(out: IO[bytes], key: bytes, workdir: Path) -> dict[str, Any]:
    source_path = _sqlite_path()
    if not source_path.exists():
        raise BackupError(f"The database file {source_path} does not exist.")
    snapshot = _private_temp(workdir, ".sqlite3")
    try:
        source = sqlite3.connect(source_path, timeout=30)
        target = sqlite3.connect(snapshot)
        try:
            # pages=-1: one step under one read transaction, so the copy is a single
            # consistent moment even while other processes write (WAL lets them go on).
            source.backup(target, pages=-1)
            manifest = _manifest(
                target.cursor(), vendor="sqlite", payload="sqlite3", compression="zlib"
            )
        finally:
            target.close()
            source.close()
        seal(out, key=key, manifest=manifest, blocks=_deflate(_file_blocks(snapshot)))
        return manifest
    finally:
        snapshot.unlink(missing_ok=True)


def _pg_settings() -> dict[str, Any]:
    db = settings.DATABASES["default"]
    return {"NAME": db.get("NAME") or "", "USER": db.get("USER") or "",
            "PASSWORD": db.get("PASSWORD") or "", "HOST": db.get("HOST") or "",
            "PORT": str(db.get("PORT") or ""), "OPTIONS": db.get("OPTIONS") or {}}  # fmt: skip


def pg_environment() -> dict[str, str]:
    """libpq settings for pg_dump/pg_restore: the password travels here, not in argv."""
    db = _pg_settings()
    env = dict(os.environ)
    for key, var in (("NAME", "PGDATABASE"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                     ("HOST", "PGHOST"), ("PORT", "PGPORT")):  # fmt: skip
        if db[key]:
            env[var] = db[key]
    for option, var in PG_OPTION_ENV.items():
        if db["OPTIONS"].get(option) not in (None, ""):
            env[var] = str(db["OPTIONS"][option])
    return env


def _pg_connect() -> Any:
    import psycopg

    db = _pg_settings()
    params = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"],
              "host": db["HOST"], "port": db["PORT"]}  # fmt: skip
    params.update({k: v for k, v in db["OPTIONS"].items() if k in PG_OPTION_ENV})
    try:
        conn = psycopg.connect(**{k: v for k, v in params.items() if v not in (None, "")})
    except psycopg.OperationalError as exc:
        raise BackupError(f"Cannot connect to PostgreSQL: {exc}") from None
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    return conn


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools that match the "
            "server's major version (Debian: postgresql-client)."
        )
    return found


def _stderr_text(errors: IO[bytes]) -> str:
    errors.seek(0)
    return errors.read().decode(errors="replace").strip()[-2000:]


def _backup_postgresql(out: IO[bytes], key: bytes) -> dict[str, Any]:
    pg_dump = _program("pg_dump")
    conn = _pg_connect()
    try:
        with conn.cursor() as cursor:
            # The exported snapshot lets pg_dump see exactly what the counts below see.
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            manifest = _manifest(
                cursor, vendor="postgresql", payload="pg_dump-custom", compression="none"
            )
        with tempfile.TemporaryFile() as errors:
            dump = subprocess.Popen(  # noqa: S603 (fixed program and arguments)
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password"],
                stdout=subprocess.PIPE, stderr=errors, env=pg_environment(),
            )  # fmt: skip
            try:
                blocks = iter(lambda: dump.stdout.read(CHUNK), b"")
                seal(out, key=key, manifest=manifest, blocks=blocks)
            finally:
                dump.stdout.close()  # on an early failure, pg_dump stops at its next write
                code = dump.wait()
            if code != 0:
                raise BackupError(f"pg_dump failed (exit {code}): {_stderr_text(errors)}")
        return manifest
    finally:
        conn.rollback()
        conn.close()


def _our_backups(directory: Path) -> list[Path]:
    """Files this command wrote: our name pattern and our magic bytes, newest first."""
    found = []
    for path in directory.glob(f"{FILE_PREFIX}*{SUFFIX}"):
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            if handle.read(len(MAGIC)) == MAGIC:
                found.append(path)
    return sorted(found, key=lambda p: p.name, reverse=True)


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete our backups beyond the newest `keep`; 0 or less keeps every one."""
    if keep <= 0:
        return []
    doomed = _our_backups(directory)[keep:]
    for path in doomed:
        path.unlink()
    return doomed


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_create(*, directory: Path | None = None, keep: int | None = None) -> BackupResult:
    directory = directory or backup_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    keep = settings.BACKUP_KEEP if keep is None else keep
    key = sealing_key()
    stamp = timezone.now()
    path = directory / f"{FILE_PREFIX}{stamp:%Y%m%dT%H%M%S.%f}Z{SUFFIX}"
    partial = _private_temp(directory, ".partial")
    try:
        with partial.open("wb") as out:
            if connection.vendor == "sqlite":
                manifest = _backup_sqlite(out, key, directory)
            elif connection.vendor == "postgresql":
                manifest = _backup_postgresql(out, key)
            else:
                raise BackupError(f"Backups of {connection.vendor} databases are not supported.")
            out.flush()
            os.fsync(out.fileno())
        # The finished name appears only once the file is complete and on disk.
        os.replace(partial, path)
        _fsync_dir(directory)
    finally:
        partial.unlink(missing_ok=True)
    deleted = prune(directory, keep)
    size = path.stat().st_size
    record(
        "security.backup.created",
        target_type="backup",
        target_id=path.name,
        changes={"bytes": size, "vendor": manifest["vendor"], "rows": manifest["rows"],
                 "deleted": [p.name for p in deleted]},
    )  # fmt: skip
    return BackupResult(path, size, manifest, deleted)


# --- restore -----------------------------------------------------------------------------


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    audit_entries: int = 0
    restored: bool = False


def _database_label() -> str:
    if connection.vendor == "sqlite":
        return str(_sqlite_path())
    return f"PostgreSQL database {_pg_settings()['NAME']!r}"


def _check_keys(manifest: dict[str, Any], report: RestoreReport) -> None:
    ring = set(key_ring_ids())
    keys = manifest.get("field_keys", {})
    missing_used = [kid for kid in keys.get("used", {}) if kid not in ring]
    if missing_used:
        report.problems.append(
            "Personal data in this backup is encrypted under field key(s) "
            f"{', '.join(missing_used)}, which FIELD_ENCRYPTION_KEYS does not hold: add "
            "them (a restore without them leaves that data unreadable)."
        )
    unused = [kid for kid in keys.get("ring", []) if kid not in ring and kid not in missing_used]
    if unused:
        report.warnings.append(
            f"The key ring at backup time also held {', '.join(unused)}; no value in the "
            "backup needs them."
        )


def _authenticate(path: Path, header: Header, key: bytes) -> None:
    """Read the whole file once before touching the database: a bad file changes nothing."""
    with path.open("rb") as stream:
        read_header(stream)
        for _ in open_chunks(stream, header, key):
            pass


def _refuse_non_empty() -> None:
    try:
        tables = connection.introspection.table_names()
    except DatabaseError as exc:
        raise BackupError(
            f"Cannot open {_database_label()} ({exc}). Create the empty database first."
        ) from None
    if tables:
        raise BackupError(
            f"Refusing to restore: {_database_label()} is not empty ({len(tables)} tables). "
            "Restore into a new, empty database (SQLite: move the file away; PostgreSQL: "
            "dropdb and createdb), so that nothing is overwritten by mistake."
        )


def _restore_sqlite(payload: Iterator[bytes]) -> None:
    target = _sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    connection.close()
    staged = _private_temp(target.parent, ".sqlite3")
    try:
        with staged.open("wb") as out:
            for block in payload:
                out.write(block)
        source = sqlite3.connect(staged)
        try:
            verdict = source.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"The SQLite snapshot fails its integrity check: {verdict}")
            # Through the backup API rather than a file copy: the target may already be an
            # (empty) WAL database with -wal/-shm files beside it.
            destination = sqlite3.connect(target, timeout=30)
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()
    finally:
        staged.unlink(missing_ok=True)


def _restore_postgresql(payload: Iterator[bytes]) -> None:
    pg_restore = _program("pg_restore")
    command = [pg_restore, "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error",
               "--no-password", f"--dbname={_pg_settings()['NAME']}"]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        restore = subprocess.Popen(  # noqa: S603 (fixed program and arguments)
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors,
            env=pg_environment(),
        )  # fmt: skip
        try:
            for block in payload:
                restore.stdin.write(block)
            restore.stdin.close()
        except BrokenPipeError:
            pass  # pg_restore stopped early; its exit code and message say why
        code = restore.wait()
        if code != 0:
            raise BackupError(f"pg_restore failed (exit {code}): {_stderr_text(errors)}")


def _compare_counts(manifest: dict[str, Any], report: RestoreReport) -> None:
    with connection.cursor() as cursor:
        actual = _table_counts(cursor, connection.vendor)
    expected = manifest.get("tables", {})
    for table in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(table), actual.get(table)
        if want is None:
            report.problems.append(f"Table {table} is not in the backup's manifest.")
        elif got is None:
            report.problems.append(f"Table {table} is missing after the restore.")
        elif want != got:
            report.problems.append(f"Table {table} has {got} rows; the backup had {want}.")


def _check_audit_chain(report: RestoreReport) -> None:
    checked, broken = audit_chain_verify()
    report.audit_entries = checked
    if broken is not None:
        report.problems.append(
            f"Audit chain broken at entry {broken.entry_id}: it {broken.reason} "
            f"({checked} entries before it are intact)."
        )


def _check_migrations(report: RestoreReport) -> None:
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    plan = executor.migration_plan(graph.leaf_nodes())
    unknown = sorted(f"{app}.{name}" for app, name in executor.loader.applied_migrations
                     if (app, name) not in graph.nodes)  # fmt: skip
    if plan:
        report.warnings.append(
            f"{len(plan)} migration(s) of this code are not applied in the backup (it is "
            "older than the code): run `python manage.py migrate` before starting the app."
        )
    if unknown:
        report.warnings.append(
            f"The backup has migrations this code does not know ({', '.join(unknown[:5])}"
            f"{'…' if len(unknown) > 5 else ''}): it was made by a newer version of the app."
        )


def _record_restore(path: Path, manifest: dict[str, Any], report: RestoreReport) -> None:
    try:
        record(
            "security.backup.restored",
            target_type="backup",
            target_id=path.name[:64],
            changes={"created_at": manifest.get("created_at"), "rows": manifest.get("rows"),
                     "audit_entries": report.audit_entries},
        )  # fmt: skip
    except DatabaseError as exc:
        report.warnings.append(f"The restore could not be written to the audit trail: {exc}")


def backup_inspect(path: Path) -> tuple[Header, bytes]:
    """Open and fully authenticate a backup file; return its header and the key that opens it."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    with path.open("rb") as stream:
        header = read_header(stream)
    key = choose_key(header)
    _authenticate(path, header, key)
    return header, key


def backup_restore(path: Path, *, check_only: bool = False) -> RestoreReport:
    header, key = backup_inspect(path)
    manifest = header.manifest
    report = RestoreReport(manifest)
    if manifest.get("vendor") != connection.vendor:
        raise BackupError(
            f"This is a {manifest.get('vendor')} backup; the configured database is "
            f"{connection.vendor}."
        )
    _check_keys(manifest, report)
    if check_only or report.problems:
        return report
    _refuse_non_empty()
    with path.open("rb") as stream:
        read_header(stream)
        payload = open_payload(stream, header, key)
        if connection.vendor == "sqlite":
            _restore_sqlite(payload)
        else:
            _restore_postgresql(payload)
    report.restored = True
    _compare_counts(manifest, report)
    _check_audit_chain(report)
    _check_migrations(report)
    if not report.problems:
        _record_restore(path, manifest, report)
    return report
