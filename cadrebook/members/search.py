"""Name search: the members in whose name a word starts what was typed.

"uoc" finds "Đặng Đức Ước", "van an" finds "Nguyễn Văn An" and "Lê Văn Anh", "nguyen van an"
finds both Nguyễn Văn Ans and every Nguyễn Văn Anh; accents are optional, and a name written
with the accents exactly as typed comes first. The search reads the name keys
(`MemberNameKey`: every word of every name onwards) by range — all keys from the typed text
up to the last one that starts with it — in the order of their index, so the first page
costs the same for a name that six people have as for one that half a million have, and a
count stops at `COUNT_CAP` ("more than 1,000") instead of reading them all.

Two tiers, each read by its own index: 0, the keys as written (`key_exact`) that start with
the typed text in lower case; 1, the accent-free keys (`key`) that start with its accent-free
form, less the members tier 0 found. In each a member comes once, at the first of their keys
in range (a name can hold the text twice: "an" in "Nguyễn An An"); within a tier the order is
the key, then the whole name, then the member's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from cadrebook.core.normalize import normalize_name, search_text
from cadrebook.members.models import Member, MemberNameKey
from cadrebook.members.name_keys import exact_form

# Above every character a name holds: "from the text up to text + TOP" is every key that
# starts with the text (the key columns compare by code point: collation "C").
TOP = "\U0010ffff"
COUNT_CAP = 1000  # a count stops here and says "more than"
TIERS = (("key_exact", "typed"), ("key", "norm"))


@dataclass(frozen=True)
class NameQuery:
    """A search text read as a name: as typed (`typed`, lower case) and accent-free."""

    typed: str
    norm: str

    def prefix(self, tier: int) -> str:
        return self.typed if tier == 0 else self.norm


def name_query(text: str | None) -> NameQuery | None:
    """The search text as a name, or None when it is blank or holds a digit (a card number
    or a national ID is searched as such, not as a name)."""
    text = search_text(text)
    if not text or any(ch.isdigit() for ch in text):
        return None
    norm = normalize_name(text)
    if not norm:
        return None
    return NameQuery(typed=exact_form(text), norm=norm)


def _in_range(column: str, prefix: str, **outer: Any) -> Q:
    return Q(**{f"{column}__gte": prefix, f"{column}__lt": prefix + TOP}, **outer)


def name_matches(query: NameQuery) -> Exists:
    """Members (the outer query's) with a name key starting with the accent-free text."""
    return Exists(MemberNameKey.objects.filter(_in_range("key", query.norm, member=OuterRef("pk"))))


def written_as_typed(query: NameQuery) -> Exists:
    """Members (the outer query's) with a name key starting with the text as typed."""
    return Exists(
        MemberNameKey.objects.filter(_in_range("key_exact", query.typed, member=OuterRef("pk")))
    )


def tier_keys(members: QuerySet[Member], query: NameQuery, tier: int) -> QuerySet[MemberNameKey]:
    """The keys of tier `tier` of `members` (filtered and scoped by the caller): one per
    member, unordered."""
    column, _attr = TIERS[tier]
    prefix = query.prefix(tier)
    keys = MemberNameKey.objects.filter(
        _in_range(column, prefix), member__in=members.order_by().values("pk")
    )
    earlier = _in_range(column, prefix, member=OuterRef("member")) & Q(
        **{f"{column}__lt": OuterRef(column)}
    )
    keys = keys.exclude(Exists(MemberNameKey.objects.filter(earlier)))
    if tier == 1:
        typed = _in_range("key_exact", query.typed, member=OuterRef("member"))
        keys = keys.exclude(Exists(MemberNameKey.objects.filter(typed)))
    return keys


def after_key(column: str, cursor: tuple[str, str, int], descending: bool) -> Q:
    """The keys after (key, name, member id) in the tier's order. The redundant bound on the
    key alone lets the database start its index scan there."""
    key, name, pk = cursor
    op = "lt" if descending else "gt"
    return Q(**{f"{column}__{op}e": key}) & (
        Q(**{f"{column}__{op}": key})
        | Q(**{column: key, f"name_norm__{op}": name})
        | Q(**{column: key, "name_norm": name, f"member_id__{op}": pk})
    )


def ordered(keys: QuerySet[MemberNameKey], tier: int, descending: bool) -> QuerySet[Any]:
    """`keys` in the tier's order, as (key, name, member id) rows."""
    column, _attr = TIERS[tier]
    order = [column, "name_norm", "member_id"]
    if descending:
        order = [f"-{c}" for c in order]
    return keys.order_by(*order).values_list(column, "name_norm", "member_id")


# Reading a page: the keys in range are read in their index's order, a batch at a time, and
# each batch's members checked against the list's filters (scope, status, ...) by their ids;
# the first batch is a few pages' worth, each next one four times as large. Where the
# filters keep so few of the keys that WALK_LIMIT keys give too few members (a commune's
# list, say), the rest is one query for the database to plan from the filters' side.
FIRST_BATCH = 4
WALK_LIMIT = 4000


def _suffixes(text: str) -> list[str]:
    words = text.split()
    return [" ".join(words[i:]) for i in range(len(words))]


def _counted_here(key: str, name: str, full_name: str, query: NameQuery, tier: int) -> bool:
    """Whether the key (of a member named `full_name`, `name` accent-free) is the one the
    member is listed at in `tier`: their first key in range, and in tier 1 only for a
    member with no key as typed in range (tier 0 lists them)."""
    exact = [k for k in _suffixes(exact_form(full_name)) if k.startswith(query.typed)]
    if tier == 0:
        return bool(exact) and key == min(exact)
    if exact:
        return False
    return key == min(k for k in _suffixes(name) if k.startswith(query.norm))


def walk(
    members: QuerySet[Member],
    query: NameQuery,
    tier: int,
    after: tuple[str, str, int] | None,
    descending: bool,
    wanted: int,
) -> list[tuple[str, str, int]]:
    """The first `wanted` (key, name, member id) of tier `tier` of `members` after `after`,
    in the tier's order: what `ordered(tier_keys(...))` gives, read without asking the
    database to plan a join whose size it cannot tell from a text's first letters."""
    column, _attr = TIERS[tier]
    prefix = query.prefix(tier)
    rows: list[tuple[str, str, int]] = []
    batch_size, scanned = max(wanted * FIRST_BATCH, 50), 0
    while len(rows) < wanted:
        if scanned >= WALK_LIMIT:  # few keys pass the filters: let the database plan the rest
            keys = tier_keys(members, query, tier)
            if after is not None:
                keys = keys.filter(after_key(column, after, descending))
            return rows + list(ordered(keys, tier, descending)[: wanted - len(rows)])
        keys = MemberNameKey.objects.filter(_in_range(column, prefix))
        if after is not None:
            keys = keys.filter(after_key(column, after, descending))
        batch = list(ordered(keys, tier, descending)[:batch_size])
        if not batch:
            break
        scanned += len(batch)
        names = dict(
            members.order_by()
            .filter(pk__in={pk for _k, _n, pk in batch})
            .values_list("pk", "full_name")
        )
        for key, name, pk in batch:
            if pk in names and _counted_here(key, name, names[pk], query, tier):
                rows.append((key, name, pk))
                if len(rows) == wanted:
                    break
        if len(batch) < batch_size:
            break
        after = batch[-1]
        batch_size *= 4
    return rows


@dataclass(frozen=True)
class Total:
    """How many: exact below the cap, else "more than `count`"."""

    count: int
    exact: bool


def capped_count(querysets: list[QuerySet[Any]], cap: int | None = None) -> Total:
    """The number of rows of `querysets` together (no row in two), reading at most
    `cap` + 1 of them (COUNT_CAP unless given)."""
    cap = COUNT_CAP if cap is None else cap
    total = 0
    for qs in querysets:
        total += qs.order_by()[: cap + 1 - total].count()
        if total > cap:
            return Total(cap, False)
    return Total(total, True)


def name_total(members: QuerySet[Member], query: NameQuery, cap: int | None = None) -> Total:
    """How many of `members` the search finds (exact below `cap`, COUNT_CAP unless given),
    read as the pages are (`walk`)."""
    cap = COUNT_CAP if cap is None else cap
    total = 0
    for tier in (0, 1):
        total += len(walk(members, query, tier, None, False, cap + 1 - total))
        if total > cap:
            return Total(cap, False)
    return Total(total, True)
