"""The audit log refuses DELETE in the database too (UPDATE was refused since 0002), with the
triggers every append-only table has (cadrebook.core.append_only). The test suite's flush
goes through `cadrebook flush`, which lifts them for its transaction."""

from django.db import migrations

from cadrebook.core.append_only import install

TABLE = "core_auditentry"
MESSAGE = "the audit log is append-only"
SQLITE_UNDO = "DROP TRIGGER IF EXISTS core_auditentry_no_delete;"
PG_UNDO = "DROP TRIGGER IF EXISTS core_auditentry_no_delete ON core_auditentry;"


def forwards(apps, schema_editor):
    install(schema_editor, schema_editor.connection.vendor, TABLE, MESSAGE)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in ("sqlite", "postgresql"):
        schema_editor.execute(SQLITE_UNDO if vendor == "sqlite" else PG_UNDO)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_via")]
    operations = [migrations.RunPython(forwards, backwards)]
