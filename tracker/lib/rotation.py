"""Re-encrypt every encrypted column under the key ring's current key."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction

from tracker.lib.crypto import key_ring
from tracker.lib.fields import EncryptedTextField

BATCH = 500


@dataclass
class RotationReport:
    checked: int = 0
    reencrypted: int = 0


def encrypted_columns() -> list[tuple[str, str, list[EncryptedTextField]]]:
    """(table, primary key column, encrypted fields) for every model that has any."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model._meta.db_table, model._meta.pk.column, fields))
    return found


def rotate_all() -> RotationReport:
    """Raw SQL on purpose: the ORM would hand us plaintext and lose which key sealed it."""
    ring = key_ring()
    report = RotationReport()
    quote = connection.ops.quote_name
    for table, pk, fields in encrypted_columns():
        columns = ", ".join(quote(f.column) for f in fields)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT {quote(pk)}, {columns} FROM {quote(table)}")  # noqa: S608
            rows = cursor.fetchall()
            for row in rows:
                for field, stored in zip(fields, row[1:], strict=True):
                    if not stored:
                        continue
                    report.checked += 1
                    if ring.is_current(stored):
                        continue
                    plain = ring.decrypt(stored, context=field.context)
                    cursor.execute(
                        f"UPDATE {quote(table)} SET {quote(field.column)} = %s "  # noqa: S608
                        f"WHERE {quote(pk)} = %s",
                        [ring.encrypt(plain, context=field.context), row[0]],
                    )
                    report.reencrypted += 1
    return report
