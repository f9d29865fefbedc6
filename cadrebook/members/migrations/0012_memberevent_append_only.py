"""Member events are append-only in the database itself: UPDATE and DELETE are refused by
triggers, on SQLite and PostgreSQL (see cadrebook.core.append_only). Corrections are new
events; nothing in the application updates or deletes an event."""

from django.db import migrations

from cadrebook.core.append_only import install, uninstall

TABLE = "members_memberevent"
MESSAGE = "member history is append-only"


def forwards(apps, schema_editor):
    install(schema_editor, schema_editor.connection.vendor, TABLE, MESSAGE)


def backwards(apps, schema_editor):
    uninstall(schema_editor, schema_editor.connection.vendor, TABLE)


class Migration(migrations.Migration):
    dependencies = [("members", "0011_memberevent_cell_vote")]
    operations = [migrations.RunPython(forwards, backwards)]
