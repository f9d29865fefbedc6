"""The province on the name keys (`MemberNameKey.province`) stays true: after imports,
transfers (through the services and through an events file) across provinces, moves of units
to another province and a merge, every key carries its member's province as the tree stands
now; the migration that filled the keys of members already there writes the same; and a
search within a province finds what a search of the country's keys finds there."""

from __future__ import annotations

import datetime as dt
import importlib
import random
from itertools import count

import pytest
from django.db import connection

from cadrebook.members import services as ms
from cadrebook.members.lists import filtered_members, keyset_page, search_within
from cadrebook.members.models import Member, MemberNameKey
from cadrebook.members.name_keys import PROVINCE_DEPTH, fill_name_keys
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.services import unit_create

BORN = dt.date(1985, 5, 5)
ADMITTED = dt.date(2020, 1, 10)
fill_migration = importlib.import_module(
    "cadrebook.members.migrations.0021_member_name_key_province"
)

MEMBERS = (
    "external_id,full_name,gender,birth_date,unit_code,status,admitted_on\n"
    "A1,Nguyễn Văn An,male,1990-02-01,K1,probationary,2020-02-01\n"
    "A2,Trần Thị Bình,female,1992-03-04,K2,probationary,2020-02-01\n"
    "A3,Lê Văn Anh,male,1988-07-04,GC,probationary,2020-02-01\n"
    "A4,Phạm Thị An,female,1991-01-04,K3,probationary,2020-02-01\n"
    "A5,Hoàng Văn Ân,male,1993-01-04,K1,,\n"
)


def expected_province(unit: OrgUnit) -> int:
    """The oracle: the unit's ancestor at PROVINCE_DEPTH (itself above it), read from the
    tree as it stands, independently of the writers."""
    ids = unit.ancestor_ids()
    return ids[min(len(ids), PROVINCE_DEPTH) - 1]


def stale_keys() -> list[tuple[int, int, int]]:
    """(member, key's province, member's province) of every key that is wrong."""
    units = {u.pk: u for u in OrgUnit.objects.all()}
    unit_of = dict(Member.objects.values_list("pk", "unit_id"))
    wrong = []
    for member_id, province in MemberNameKey.objects.values_list("member_id", "province"):
        want = expected_province(units[unit_of[member_id]])
        if province != want:
            wrong.append((member_id, province, want))
    return wrong


def key_rows() -> set[tuple[object, ...]]:
    return set(
        MemberNameKey.objects.values_list(
            "member_id", "position", "key", "key_exact", "name_norm", "province"
        )
    )


@pytest.fixture
def world(tree, actor, run, make_member):
    """The tree with a second grassroots committee (G2 > K3) in the second province (C2),
    members made by the services and by an import, and an applicant."""
    g2 = unit_create(
        actor=actor, code="G2", name="Unit G2", kind="grassroots_committee", parent=tree.C2
    )
    unit_create(actor=actor, code="K3", name="Unit K3", kind="cell", parent=g2)
    report = run("members", MEMBERS)
    assert report.ok, report.errors
    for i, code in enumerate(["K1", "K2", "GC", "K3"]):
        make_member(OrgUnit.objects.get(code=code), BORN, ADMITTED, full_name=f"Đặng Đức Ước {i}")
    make_member(tree.K2, BORN, full_name="Vũ Thị Applicant")  # stays an applicant
    assert MemberNameKey.objects.exists()
    assert stale_keys() == []
    return tree


@pytest.mark.parametrize("seed", range(5))
def test_every_key_carries_its_members_province_through_transfers_and_moves(
    world, actor, run, seed
):
    rng = random.Random(seed)
    day = count(0, 17)

    def next_day() -> dt.date:
        return dt.date(2021, 1, 1) + dt.timedelta(days=next(day))

    def unit(code: str) -> OrgUnit:
        return OrgUnit.objects.get(code=code)

    cells = ["K1", "K2", "K3", "GC"]
    provinces_seen = set()
    for _ in range(12):
        op = rng.choice(["transfer", "transfer", "import", "move"])
        active = list(Member.objects.filter(status__in=["probationary", "full"]).order_by("pk"))
        member = rng.choice(active)
        to = unit(rng.choice([c for c in cells if c != member.unit.code]))
        if op == "transfer":
            ms.member_transfer(actor=actor, member=member, date=next_day(), to_unit=to)
        elif op == "import" and member.external_id:
            text = (
                "external_id,type,date,unit_code,to_unit_code\n"
                f"{member.external_id},transferred,{next_day()},,{to.code}\n"
            )
            report = run("events", text)
            assert report.ok, report.errors
        else:  # a grassroots committee and its cells to the other commune (province)
            moved = unit(rng.choice(["G1", "G2"]))
            parent = OrgUnit.objects.get_parent(moved)
            other = unit("C2" if parent.code == "C1" else "C1")
            ms.unit_move(actor=actor, unit=moved, new_parent=other, date=next_day())
        assert stale_keys() == [], op
        provinces_seen |= set(MemberNameKey.objects.values_list("province", flat=True))
    # A cell merged into one in the other province: its members transferred, its applicant
    # handed over.
    k2 = unit("K2")
    into = unit("K3" if expected_province(k2) != expected_province(unit("K3")) else "GC")
    ms.unit_merge(actor=actor, unit=k2, into=into, date=next_day())
    assert Member.objects.filter(full_name="Vũ Thị Applicant", unit=into).exists()
    assert stale_keys() == []
    assert len(provinces_seen) == 2  # both provinces had keys: the moves were across them


def test_the_migration_fills_the_provinces_the_writers_keep(world, actor):
    ms.unit_move(actor=actor, unit=world.G1, new_parent=world.C2, date=dt.date(2021, 6, 1))
    kept = key_rows()
    MemberNameKey.objects.update(province=0)
    assert fill_migration.PROVINCE_PREFIX == PROVINCE_DEPTH * OrgUnit.steplen
    fill_migration.fill_provinces(connection)
    assert key_rows() == kept
    # And the generator's bulk writer (SQL of its own on PostgreSQL).
    MemberNameKey.objects.all().delete()
    fill_name_keys()
    assert key_rows() == kept


@pytest.mark.parametrize("text", ["an", "Ân", "nguyen van", "uoc", "thi", "zz"])
def test_a_search_within_a_province_finds_what_the_countrys_keys_find_there(world, actor, text):
    ms.unit_move(actor=actor, unit=world.G1, new_parent=world.C2, date=dt.date(2021, 6, 1))
    for code in ["P", "C1", "C2", "G1", "G2", "K1", "K2", "K3", "GC"]:
        unit = OrgUnit.objects.get(code=code)
        for size in (1, 2, 50):
            pages = {}
            for within in (search_within(unit, {}), None):
                seen, cursor = [], ""
                while True:
                    members = filtered_members(unit, {"status": "all", "q": text})
                    unsearched = filtered_members(unit, {"status": "all"})
                    page = keyset_page(
                        members,
                        "name",
                        cursor,
                        text=text,
                        count=True,
                        size=size,
                        unsearched=unsearched,
                        within=within,
                    )
                    seen.append(([m.pk for m in page.rows], page.total))
                    if not page.next_cursor:
                        break
                    cursor = page.next_cursor
                pages[within is None] = seen
            assert pages[False] == pages[True], (code, size)
