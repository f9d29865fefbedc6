"""The province on the name keys (`MemberNameKey.province`), and its two indexes.

A search within a province reads the province's own range of keys instead of walking the
country's and dropping the other provinces' members. The province of a key is the id of its
member's unit's ancestor at depth 2 (the unit whose path is the first two steps of the
unit's), the unit itself for a member of the centre (`members.name_keys.PROVINCE_DEPTH`).

The keys already there get theirs from one UPDATE … FROM joining the members to their units
(SQLite 3.33 or later, PostgreSQL). Every key row is rewritten, so the two indexes of the
keys are dropped first and made again afterwards, with the new ones (one sort each, not
millions of index insertions and an index of twice the size). On PostgreSQL the rewrite
leaves as many dead rows as keys: run `VACUUM ANALYZE members_membernamekey` after it (an
index-only scan of the keys needs the table's visibility map).
"""

from django.db import migrations, models

# Two steps of treebeard's path (`OrgUnit.steplen` 4): the unit at depth 2 above a unit, the
# unit itself for a shorter path.
PROVINCE_PREFIX = 2 * 4

FILL_SQL = """
UPDATE members_membernamekey SET province = s.province
FROM (
    SELECT m.id AS member_id, p.id AS province
    FROM members_member m
    JOIN orgs_orgunit u ON u.id = m.unit_id
    JOIN orgs_orgunit p ON p.path = substr(u.path, 1, %s)
) s
WHERE members_membernamekey.member_id = s.member_id
"""


def fill(apps, schema_editor):
    model = apps.get_model("members", "MemberNameKey")
    indexes = list(model._meta.indexes)
    for index in indexes:
        schema_editor.remove_index(model, index)
    schema_editor.execute(FILL_SQL, [PROVINCE_PREFIX])
    if schema_editor.connection.vendor == "postgresql":
        # The four index builds that follow sort 15-20 million rows each at national scale.
        schema_editor.execute("SET LOCAL maintenance_work_mem = '1GB'")
    for index in indexes:
        schema_editor.add_index(model, index)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0020_unit_due_list_indexes"),
        ("orgs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="membernamekey",
            name="province",
            field=models.IntegerField(default=0, verbose_name="province"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="membernamekey",
            index=models.Index(
                fields=["province", "key", "name_norm", "member"], name="member_name_key_province"
            ),
        ),
        migrations.AddIndex(
            model_name="membernamekey",
            index=models.Index(
                fields=["province", "key_exact", "name_norm", "member"],
                name="member_name_key_exact_province",
            ),
        ),
    ]
