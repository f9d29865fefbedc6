"""Writing the name keys (`MemberNameKey`): every word of a name onwards, as searched.

Every path that writes a member's name writes its keys in the same transaction: the
registration and personal-details services (`replace_name_keys`), the bulk import
(`name_key_rows` through its row writer) and the synthetic generator (`fill_name_keys`).

Each key carries the member's province (`MemberNameKey.province`: the id of the unit's
ancestor at PROVINCE_DEPTH, the unit itself above it) as the tree stands now, so a search
within a province reads that province's keys only. Whatever changes a member's unit keeps it
(`follow_members`: the event services and the events import) and so does a unit's move to
another parent (`follow_unit_move`, beside the documents' `move_areas`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Substr

from cadrebook.core.scoping import PATH_END
from cadrebook.documents.models import AREA_DEPTH
from cadrebook.members.models import NAME_KEY_COLUMNS, Member, MemberNameKey
from cadrebook.orgs.models import OrgUnit

__all__ = [
    "NAME_KEY_COLUMNS",
    "PROVINCE_DEPTH",
    "fill_name_keys",
    "follow_members",
    "follow_unit_move",
    "member_provinces",
    "name_key_rows",
    "province_of",
    "replace_name_keys",
]

# The depth of the unit a key's `province` names: the provinces (the centre is at 1), as a
# document's `area` (documents.models.AREA_DEPTH): one meaning of "province" everywhere.
PROVINCE_DEPTH = AREA_DEPTH
_CHUNK = 900  # SQLite's parameter limit


def exact_form(text: str) -> str:
    """Text as `key_exact` holds it: lower case, diacritics kept, spaces squeezed."""
    return " ".join(text.lower().split())


def province_path(path: str) -> str:
    """The path of the unit that names the province of a unit at `path` (itself above
    PROVINCE_DEPTH)."""
    return path[: PROVINCE_DEPTH * OrgUnit.steplen]


def province_of(unit: OrgUnit) -> int:
    """The province of the keys of `unit`'s members: the id of its ancestor at
    PROVINCE_DEPTH, or its own above that depth (no query then)."""
    if unit.depth <= PROVINCE_DEPTH:
        return int(unit.pk)
    return int(OrgUnit.objects.values_list("pk", flat=True).get(path=province_path(unit.path)))


def province_of_ancestors(ancestors: Sequence[int]) -> int:
    """The province of a unit whose ancestor ids (the root first, the unit last) are
    `ancestors`."""
    return ancestors[min(len(ancestors), PROVINCE_DEPTH) - 1]


def member_provinces(member_ids: Iterable[int]) -> dict[int, int]:
    """The province of each of these members as their units stand now (one query per 900)."""
    ids = sorted(set(member_ids))
    # The prefix of a shorter path is the path itself: a unit above PROVINCE_DEPTH is its own.
    province = OrgUnit.objects.filter(
        path=Substr(OuterRef("unit__path"), 1, PROVINCE_DEPTH * OrgUnit.steplen)
    ).values("pk")[:1]
    found: dict[int, int] = {}
    for i in range(0, len(ids), _CHUNK):
        found.update(
            Member.objects.filter(pk__in=ids[i : i + _CHUNK])
            .annotate(province=Subquery(province))
            .values_list("pk", "province")
        )
    return found


def name_key_rows(
    member_id: int, full_name: str, name_norm: str, province: int
) -> list[tuple[object, ...]]:
    """The key rows of one name, in NAME_KEY_COLUMNS' order."""
    words = name_norm.split()
    exact = exact_form(full_name).split()
    return [
        (member_id, i, " ".join(words[i:]), " ".join(exact[i:]), name_norm, province)
        for i in range(len(words))
    ]


def replace_name_keys(members: Iterable[tuple[int, str, str]]) -> None:
    """Write the keys of (member id, full name, normalized name), replacing any they had,
    with the province of each member's unit as it stands now."""
    members = list(members)
    if not members:
        return
    provinces = member_provinces(m[0] for m in members)
    MemberNameKey.objects.filter(member_id__in=[m[0] for m in members]).delete()
    rows = [row for m in members for row in name_key_rows(*m, provinces[m[0]])]
    MemberNameKey.objects.bulk_create(
        [MemberNameKey(**dict(zip(NAME_KEY_COLUMNS, row, strict=True))) for row in rows],
        batch_size=2000,
    )


def follow_members(member_ids: Iterable[int]) -> None:
    """After these members' units changed (a transfer, an import of events, a merge): set
    their keys' province from their units now. Keys already right are not written."""
    by_province: dict[int, list[int]] = defaultdict(list)
    for member_id, province in member_provinces(member_ids).items():
        by_province[province].append(member_id)
    for province, ids in by_province.items():
        for i in range(0, len(ids), _CHUNK):
            MemberNameKey.objects.filter(member_id__in=ids[i : i + _CHUNK]).exclude(
                province=province
            ).update(province=province)


def follow_unit_move(unit: OrgUnit) -> None:
    """After `unit` moved with its subtree to another parent (`unit` as it stands now): set
    the province of the keys of every member of the subtree. A moved unit has a parent, so
    the subtree lies in one province: one UPDATE (keys already right are not written)."""
    province = province_of(unit)
    members = Member.objects.filter(
        unit__path__gte=unit.path, unit__path__lt=unit.path + PATH_END
    ).values("pk")
    MemberNameKey.objects.filter(member_id__in=members).exclude(province=province).update(
        province=province
    )


# The same keys as name_key_rows, made by the database: at millions of members this is one
# statement instead of reading every name out and writing its keys back. (A name whose
# lower-casing differs between Python and the database would only rank its exact-accent
# matches differently; which names are found depends on `key`, the same both ways.) The
# province is the unit whose path is the first PROVINCE_DEPTH steps of the member's unit's
# (the whole path of a unit above that depth: itself).
_FILL_SQL = """
INSERT INTO members_membernamekey (member_id, position, key, key_exact, name_norm, province)
SELECT m.id, w.i - 1,
       array_to_string(a.norm[w.i:], ' '),
       array_to_string(a.exact[w.i:], ' '),
       m.name_norm,
       p.id
FROM members_member m
JOIN orgs_orgunit u ON u.id = m.unit_id
JOIN orgs_orgunit p ON p.path = substr(u.path, 1, %s)
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
            cursor.execute(_FILL_SQL, [PROVINCE_DEPTH * OrgUnit.steplen, first_id])
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
