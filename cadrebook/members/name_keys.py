"""Writing the name keys (`MemberNameKey`): every word of a name onwards, as searched.

Every path that writes a member's name writes its keys in the same transaction: the
registration and personal-details services (`replace_name_keys`), the bulk import
(`name_key_rows` through its row writer) and the synthetic generator and the migration that
fills them for members already there (`fill_name_keys`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from cadrebook.members.models import NAME_KEY_COLUMNS, Member, MemberNameKey

__all__ = ["NAME_KEY_COLUMNS", "fill_name_keys", "name_key_rows", "replace_name_keys"]


def exact_form(text: str) -> str:
    """Text as `key_exact` holds it: lower case, diacritics kept, spaces squeezed."""
    return " ".join(text.lower().split())


def name_key_rows(member_id: int, full_name: str, name_norm: str) -> list[tuple[object, ...]]:
    """The key rows of one name, in NAME_KEY_COLUMNS' order."""
    words = name_norm.split()
    exact = exact_form(full_name).split()
    return [
        (member_id, i, " ".join(words[i:]), " ".join(exact[i:]), name_norm)
        for i in range(len(words))
    ]


def replace_name_keys(members: Iterable[tuple[int, str, str]]) -> None:
    """Write the keys of (member id, full name, normalized name), replacing any they had."""
    members = list(members)
    if not members:
        return
    MemberNameKey.objects.filter(member_id__in=[m[0] for m in members]).delete()
    rows = [row for m in members for row in name_key_rows(*m)]
    MemberNameKey.objects.bulk_create(
        [MemberNameKey(**dict(zip(NAME_KEY_COLUMNS, row, strict=True))) for row in rows],
        batch_size=2000,
    )


# The same keys as name_key_rows, made by the database: at millions of members this is one
# statement instead of reading every name out and writing its keys back. (A name whose
# lower-casing differs between Python and the database would only rank its exact-accent
# matches differently; which names are found depends on `key`, the same both ways.)
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
WHERE m.id >= %s AND m.name_norm <> ''
"""


def fill_name_keys(first_id: int = 0) -> None:
    """Write the keys of every member from id `first_id` on (members that have none yet)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_FILL_SQL, [first_id])
        return
    batch: list[tuple[int, str, str]] = []
    for member in (
        Member.objects.filter(pk__gte=first_id)
        .values_list("pk", "full_name", "name_norm")
        .iterator(chunk_size=5000)
    ):
        batch.append(member)
        if len(batch) == 5000:
            replace_name_keys(batch)
            batch = []
    replace_name_keys(batch)
