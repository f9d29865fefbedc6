"""PostgreSQL only: drop the `varchar_pattern_ops` twins Django adds to unique text columns.

Nothing searches these columns with LIKE (national ID, card number and external id are
looked up exactly; status is filtered by equality), so the indexes only slow every insert —
the bulk import above all.
"""

from django.db import migrations

INDEXES = [
    "members_member_card_number_429e92e0_like",
    "members_member_external_id_dbaa8fd3_like",
    "members_member_national_id_9e760f80_like",
    "members_member_status_0d2ab2b9_like",
]


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("members", "0003_drop_redundant_indexes")]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
