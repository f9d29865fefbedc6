"""Name keys (`MemberNameKey`): every word of each name onwards, for the name search.

The keys of the members already there are written before the indexes are made (one pass
over the table, then one index build, not millions of index insertions). On PostgreSQL the
key columns compare byte by byte (collation "C"): a search is a range of keys from the typed
text up, and only a byte order puts every name that starts with it inside that range. The
trigram index on `Member.name_norm` served the search before; nothing reads it now.
"""

import django.db.models.deletion
from django.db import migrations, models

KEY_COLUMNS = ("key", "key_exact", "name_norm")


def byte_order(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for column in KEY_COLUMNS:
            schema_editor.execute(
                f'ALTER TABLE members_membernamekey ALTER COLUMN "{column}" '
                'TYPE varchar(200) COLLATE "C"'
            )


def fill(apps, schema_editor):
    # The application's own writer: the keys must be what the services would write.
    from cadrebook.members.name_keys import fill_name_keys

    fill_name_keys()


def drop_trigram(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS member_name_norm_trgm")


def make_trigram(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS member_name_norm_trgm ON members_member "
            "USING gin (name_norm gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0013_memberevent_decision_deadlines"),
    ]

    operations = [
        migrations.CreateModel(
            name="MemberNameKey",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "member_id",
                        "position",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(verbose_name="word")),
                ("key", models.CharField(max_length=200, verbose_name="name from this word")),
                (
                    "key_exact",
                    models.CharField(max_length=200, verbose_name="name from this word, as written"),
                ),
                ("name_norm", models.CharField(max_length=200, verbose_name="normalized name")),
                (
                    "member",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="name_keys",
                        to="members.member",
                    ),
                ),
            ],
            options={"verbose_name": "name key", "verbose_name_plural": "name keys"},
        ),
        migrations.RunPython(byte_order, migrations.RunPython.noop),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="membernamekey",
            index=models.Index(fields=["key", "name_norm", "member"], name="member_name_key"),
        ),
        migrations.AddIndex(
            model_name="membernamekey",
            index=models.Index(
                fields=["key_exact", "name_norm", "member"], name="member_name_key_exact"
            ),
        ),
        migrations.RunPython(drop_trigram, make_trigram),
    ]
