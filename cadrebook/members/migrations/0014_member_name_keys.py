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


# The keys as `members.name_keys` wrote them when this migration was made (a later migration,
# 0021, added their province): kept here, since the application's writer now writes columns
# this table does not have yet.
_FILL_SQL = """
INSERT INTO members_membernamekey (member_id, position, key, key_exact, name_norm)
SELECT m.id, w.i - 1,
       array_to_string(a.norm[w.i:], ' '),
       array_to_string(a.exact[w.i:], ' '),
       m.name_norm
FROM members_member m
CROSS JOIN LATERAL (
    SELECT string_to_array(m.name_norm, ' ') AS norm,
           regexp_split_to_array(lower(btrim(m.full_name)), '\\s+') AS exact
) a
CROSS JOIN LATERAL generate_subscripts(a.norm, 1) AS w(i)
WHERE m.name_norm <> ''
"""


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_FILL_SQL)
        return
    member_model = apps.get_model("members", "Member")
    key_model = apps.get_model("members", "MemberNameKey")
    rows = []
    for pk, full_name, name_norm in member_model.objects.values_list(
        "pk", "full_name", "name_norm"
    ).iterator(chunk_size=5000):
        words = name_norm.split()
        exact = " ".join(full_name.lower().split()).split()
        rows += [
            key_model(
                member_id=pk,
                position=i,
                key=" ".join(words[i:]),
                key_exact=" ".join(exact[i:]),
                name_norm=name_norm,
            )
            for i in range(len(words))
        ]
        if len(rows) >= 5000:
            key_model.objects.bulk_create(rows)
            rows = []
    key_model.objects.bulk_create(rows)


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
