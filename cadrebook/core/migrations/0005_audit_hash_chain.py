"""The audit log made tamper-evident: every entry gets `hash`, chaining it to the entry before
it (cadrebook.core.audit_chain); the entries written before this migration are chained here,
in id order, so the chain starts at the first entry. `created_at` is set before an entry is
written (it is hashed), no longer by the database insert."""

import django.utils.timezone
from django.db import migrations, models

from cadrebook.core.append_only import install, uninstall
from cadrebook.core.audit_chain import FIELDS, GENESIS, entry_hash

TABLE = "core_auditentry"
MESSAGE = "the audit log is append-only"


def chain_existing_entries(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    connection = schema_editor.connection
    vendor = connection.vendor
    with connection.cursor() as cursor:
        uninstall(cursor, vendor, TABLE)  # the one sanctioned rewrite: filling in the hashes
        previous = GENESIS
        rows = AuditEntry.objects.order_by("id").values("id", *FIELDS)
        batch = []
        for row in rows.iterator(chunk_size=5000):
            previous = entry_hash(previous, row)
            batch.append((previous, row["id"]))
            if len(batch) >= 5000:
                cursor.executemany(f"UPDATE {TABLE} SET hash = %s WHERE id = %s", batch)
                batch = []
        if batch:
            cursor.executemany(f"UPDATE {TABLE} SET hash = %s WHERE id = %s", batch)
        # A SQLite table rebuild (the two operations above) dropped the triggers as well.
        install(cursor, vendor, TABLE, MESSAGE)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_refuses_delete")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="hash"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="created_at",
            field=models.DateTimeField(
                db_index=True,
                default=django.utils.timezone.now,
                editable=False,
                verbose_name="time",
            ),
        ),
        migrations.RunPython(chain_existing_entries, migrations.RunPython.noop),
    ]
