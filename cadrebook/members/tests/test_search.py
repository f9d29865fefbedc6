"""Name search through the name keys: what it finds, in what order, page after page, and
how many; the keys follow every path that writes a name."""

from __future__ import annotations

import datetime as dt

import pytest

from cadrebook.members import search, services
from cadrebook.members.lists import filtered_members, keyset_page, search_within
from cadrebook.members.models import Member, MemberNameKey
from cadrebook.members.name_keys import fill_name_keys, name_key_rows

BORN = dt.date(1990, 1, 1)

NAMES = [
    "Đặng Đức Ước",
    "Nguyễn Văn An",
    "Nguyễn Văn Ân",
    "Lê Văn Anh",
    "Trần Thị Hoa",
    "Trần Thị An",
    "Nguyễn An An",
    "Hoàng Nguyên",
]


@pytest.fixture
def people(tree, make_member):
    return {name: make_member(tree.K1, BORN, full_name=name) for name in NAMES}


def found(unit, text, **options):
    """The page the list and the API read: within the unit's province's keys unless
    `country=True` (every province's keys, as for a list as of a date)."""
    members = filtered_members(unit, {"status": "all", "q": text})
    unsearched = filtered_members(unit, {"status": "all"})
    sort = options.pop("sort", "name")
    within = None if options.pop("country", False) else search_within(unit, {})
    return keyset_page(
        members, sort, text=text, count=True, unsearched=unsearched, within=within, **options
    )


def names(page):
    return [m.full_name for m in page.rows]


def test_a_word_of_the_name_starts_the_text_accents_optional(tree, people):
    assert names(found(tree.P, "uoc")) == ["Đặng Đức Ước"]
    assert names(found(tree.P, "dang duc uoc")) == ["Đặng Đức Ước"]
    assert set(names(found(tree.P, "van an"))) == {"Nguyễn Văn An", "Nguyễn Văn Ân", "Lê Văn Anh"}
    assert set(names(found(tree.P, "TRẦN THỊ"))) == {"Trần Thị Hoa", "Trần Thị An"}
    # Inside a word is not the start of one: "guyen" is not searched for.
    assert names(found(tree.P, "guyen")) == []
    # Text across the end of the name finds nothing.
    assert names(found(tree.P, "nguyen van an nguyen")) == []


def test_the_accents_as_typed_come_first_then_the_others_by_key_and_name(tree, people):
    assert names(found(tree.P, "Ân"))[0] == "Nguyễn Văn Ân"
    plain = names(found(tree.P, "an"))
    assert plain.index("Nguyễn Văn Ân") > plain.index("Nguyễn Văn An")
    # Among the same key, by the whole name: "an ..." before "anh".
    assert plain.index("Nguyễn An An") < plain.index("Lê Văn Anh")


def test_a_name_holding_the_text_twice_comes_once(tree, people):
    hits = names(found(tree.P, "an"))
    assert hits.count("Nguyễn An An") == 1
    assert set(hits) == {
        "Nguyễn Văn An",
        "Nguyễn Văn Ân",
        "Lê Văn Anh",
        "Trần Thị An",
        "Nguyễn An An",
    }


@pytest.mark.parametrize("sort", ["name", "-name"])
def test_pages_follow_on_without_repeating_or_losing_a_name(tree, people, sort):
    whole = names(found(tree.P, "an", sort=sort, size=50))
    seen, cursor = [], ""
    while True:
        page = found(tree.P, "an", sort=sort, size=2, cursor=cursor)
        seen += names(page)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == whole and len(whole) == 5
    if sort == "-name":  # each tier backwards, the accents as typed still first
        assert whole[0] != names(found(tree.P, "an"))[0]


def test_a_forged_cursor_starts_over(tree, people):
    first = names(found(tree.P, "an", size=2))
    assert names(found(tree.P, "an", size=2, cursor="bm9uc2Vuc2U=")) == first
    assert names(found(tree.P, "an", size=2, cursor="WyJuIiwgNSwgImEiLCAiYiIsIDFd")) == first
    # A lone surrogate no database stores (["n", 0, "\udfff", "x", 3]; [0, "\udfff", 5]).
    lone = "WyJuIiwgMCwgIlx1ZGZmZiIsICJ4IiwgM10="
    assert names(found(tree.P, "an", size=2, cursor=lone)) == first
    everybody = filtered_members(tree.P, {"status": "all"})
    plain = keyset_page(everybody, "name", size=2)
    assert (
        keyset_page(everybody, "name", size=2, cursor="WzAsICJcdWRmZmYiLCA1XQ==").rows == plain.rows
    )


def test_the_total_is_exact_below_the_cap_and_more_than_above(tree, people, monkeypatch):
    assert found(tree.P, "an").total == search.Total(5, True)  # all on the page: counted
    assert found(tree.P, "an", size=2).total == search.Total(5, True)
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    assert found(tree.P, "an", size=2).total == search.Total(3, False)
    everybody = filtered_members(tree.P, {"status": "all"})
    assert keyset_page(everybody, "name", size=2, count=True).total == search.Total(3, False)
    assert keyset_page(everybody, "name", size=50, count=True).total == search.Total(8, True)


def test_other_sorts_filter_the_same_names(tree, people):
    by_name = set(names(found(tree.P, "van an")))
    by_birth = set(names(found(tree.P, "van an", sort="birth_date")))
    assert by_birth == by_name


def test_the_search_stays_in_the_subtree(tree, people, make_member):
    make_member(tree.GC, BORN, full_name="Nguyễn Văn An")
    assert len(found(tree.P, "nguyen van an").rows) == 3  # An, Ân, and the one in GC
    assert names(found(tree.C2, "nguyen van an")) == ["Nguyễn Văn An"]
    assert found(tree.C2, "nguyen van an").total.count == 1


def test_a_new_name_replaces_the_keys(tree, people, actor):
    hoa = people["Trần Thị Hoa"]
    services.member_update_personal(
        actor=actor, member=hoa, version=hoa.version, full_name="Phạm Thị Hoà"
    )
    assert names(found(tree.P, "tran thi hoa")) == []
    assert names(found(tree.P, "pham thi")) == ["Phạm Thị Hoà"]
    assert sorted(MemberNameKey.objects.filter(member=hoa).values_list("key", flat=True)) == [
        "hoa",
        "pham thi hoa",
        "thi hoa",
    ]


def test_the_keys_filled_in_bulk_are_the_ones_the_services_write(tree, people):
    columns = ("member_id", "position", "key", "key_exact", "name_norm", "province")
    written = set(MemberNameKey.objects.values_list(*columns))
    MemberNameKey.objects.all().delete()
    fill_name_keys()
    filled = set(MemberNameKey.objects.values_list(*columns))
    assert filled == written
    assert len(filled) == sum(len(n.split()) for n in NAMES)


def test_key_rows_of_a_name():
    assert name_key_rows(7, "  Đặng  Đức Ước ", "dang duc uoc", 3) == [
        (7, 0, "dang duc uoc", "đặng đức ước", "dang duc uoc", 3),
        (7, 1, "duc uoc", "đức ước", "dang duc uoc", 3),
        (7, 2, "uoc", "ước", "dang duc uoc", 3),
    ]


def test_digits_search_the_card_number_not_the_name(tree, people):
    assert search.name_query("01.234567") is None
    assert names(found(tree.P, "12345")) == []
    assert Member.objects.count() == len(NAMES)


@pytest.mark.parametrize("text", ["an", "Ân", "van an", "nguyen"])
def test_the_database_planned_rest_gives_the_same_pages_as_the_walk(
    tree, people, monkeypatch, text
):
    def every_page():
        seen, cursor = [], ""
        while True:
            page = found(tree.P, text, size=2, cursor=cursor)
            seen += [m.pk for m in page.rows]
            if not page.next_cursor:
                return seen
            cursor = page.next_cursor

    walked = every_page()
    monkeypatch.setattr(search, "WALK_LIMIT", 1)  # after one batch, the database plans
    assert every_page() == walked
    monkeypatch.setattr(search, "WALK_LIMIT", 0)  # the database plans it all
    assert every_page() == walked


@pytest.mark.parametrize("text", ["an", "Ân", "van an", "nguyen"])
def test_read_from_the_few_members_own_keys_the_pages_are_the_same(
    tree, people, make_member, monkeypatch, text
):
    # Members elsewhere in the tree fill the key range, so the list's own are few among them.
    for i in range(6):
        make_member(tree.K2, BORN, full_name=f"Nguyễn Văn An {chr(65 + i)}")

    def every_page():
        seen, cursor = [], ""
        while True:
            page = found(tree.K1, text, size=2, cursor=cursor)
            seen += [m.pk for m in page.rows]
            if not page.next_cursor:
                return seen
            cursor = page.next_cursor

    walked = every_page()
    planned = []
    real_planned = search._planned
    monkeypatch.setattr(search, "_planned", lambda *a: planned.append(a[-1]) or real_planned(*a))
    monkeypatch.setattr(search, "MIN_BATCH", 1)
    monkeypatch.setattr(search, "FIRST_BATCH", 1)
    monkeypatch.setattr(search, "WALK_PROBE", 1)  # after one batch: "few", read their keys
    assert every_page() == walked
    assert planned and all(ids is not None for ids in planned)
    planned.clear()
    monkeypatch.setattr(search, "SMALL_SCOPE", 0)  # not few after all: the walk goes on
    assert every_page() == walked
    assert planned == []
    assert {pk for pk in walked} <= {m.pk for m in Member.objects.filter(unit=tree.K1)}


def test_a_count_that_would_read_too_many_keys_says_more_than_what_it_found(
    tree, people, monkeypatch
):
    exact = found(tree.P, "an", size=1).total
    assert exact.exact and exact.count == 5  # Nguyễn Văn An, Ân, Anh, Trần Thị An, Nguyễn An An
    monkeypatch.setattr(search, "COUNT_KEYS", 2)
    capped = found(tree.P, "an", size=1).total
    assert not capped.exact
    # "More than N" is true: N is below the members there are, and at least the page shown.
    assert 1 <= capped.count < exact.count
