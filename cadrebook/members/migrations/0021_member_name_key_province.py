"""The province on the name keys (`MemberNameKey.province`), and its two indexes.

A search within a province reads the province's own range of keys instead of walking the
country's and dropping the other provinces' members. The province of a key is the id of its
member's unit's ancestor at depth 2 (the unit whose path is the first two steps of the
unit's), the unit itself for a member of the centre (`members.name_keys.PROVINCE_DEPTH`).

The keys already there get theirs set-based, joining the members to their units. Every key
row is rewritten, so the two indexes of the keys are dropped first and made again afterwards,
with the new ones (one sort each, not millions of index insertions); on PostgreSQL the
foreign key too (one check of every row at once). On SQLite it is one
UPDATE … FROM (SQLite 3.33 or later). On PostgreSQL an UPDATE would leave a dead version of
every row in the table and in every index built in the same transaction (twice their size,
until rewritten): the keys are copied out with their provinces, the table truncated (in the
transaction) and the rows copied back, so the table and its indexes come out compact. At 6 M
members (18.9 M keys) that took about 6 minutes on the benchmark machine
(docs/benchmarks.md); run `VACUUM ANALYZE members_membernamekey` afterwards (an index-only
scan of the keys needs the table's visibility map).
"""

from django.db import migrations, models

# Two steps of treebeard's path (`OrgUnit.steplen` 4): the unit at depth 2 above a unit, the
# unit itself for a shorter path.
PROVINCE_PREFIX = 2 * 4

# Each member's province: the unit whose path is the first two steps of the member's unit's.
PROVINCES = """
    SELECT m.id AS member_id, p.id AS province
    FROM members_member m
    JOIN orgs_orgunit u ON u.id = m.unit_id
    JOIN orgs_orgunit p ON p.path = substr(u.path, 1, %s)
"""
SQLITE_FILL = [
    f"""UPDATE members_membernamekey SET province = s.province FROM ({PROVINCES}) s
    WHERE members_membernamekey.member_id = s.member_id"""
]
POSTGRESQL_FILL = [
    f"""CREATE TEMPORARY TABLE name_keys_filled AS
    SELECT k.member_id, k.position, k.key, k.key_exact, k.name_norm,
           coalesce(s.province, 0) AS province
    FROM members_membernamekey k LEFT JOIN ({PROVINCES}) s ON s.member_id = k.member_id""",
    # A TRUNCATE waits for no deferred check of the transaction (Django's foreign keys).
    "SET CONSTRAINTS ALL IMMEDIATE",
    "TRUNCATE members_membernamekey",
    "SET CONSTRAINTS ALL DEFERRED",
    """INSERT INTO members_membernamekey (member_id, position, key, key_exact, name_norm, province)
    SELECT member_id, position, key, key_exact, name_norm, province FROM name_keys_filled""",
    "DROP TABLE name_keys_filled",
]


def fill_provinces(connection):
    """Set the province of every key (the statements of the connection's vendor)."""
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for sql in POSTGRESQL_FILL if postgresql else SQLITE_FILL:
            cursor.execute(sql, [PROVINCE_PREFIX] if "%s" in sql else None)


def fill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # The foreign key and the two key indexes are dropped and put back as a bulk load
        # does (`core.bulk`): the copied-back rows are checked in one query, not one by one,
        # and the indexes sorted once.
        from cadrebook.core.bulk import drop_secondary_structures

        with connection.cursor() as cursor:
            restore = drop_secondary_structures(cursor, ["members_membernamekey"])
            fill_provinces(connection)
            # The index builds (these and the two new ones) sort 15-20 M rows at national scale.
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            for sql in restore:
                cursor.execute(sql)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys' default
        return
    model = apps.get_model("members", "MemberNameKey")
    indexes = list(model._meta.indexes)
    for index in indexes:
        schema_editor.remove_index(model, index)
    fill_provinces(connection)
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
