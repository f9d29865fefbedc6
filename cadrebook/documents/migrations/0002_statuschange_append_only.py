"""A document's statuses are append-only in the database itself: UPDATE and DELETE are
refused by triggers, on SQLite and PostgreSQL (see cadrebook.core.append_only)."""

from django.db import migrations

from cadrebook.core.append_only import install, uninstall

TABLE = "documents_documentstatuschange"
MESSAGE = "document history is append-only"


def forwards(apps, schema_editor):
    install(schema_editor, schema_editor.connection.vendor, TABLE, MESSAGE)


def backwards(apps, schema_editor):
    uninstall(schema_editor, schema_editor.connection.vendor, TABLE)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
