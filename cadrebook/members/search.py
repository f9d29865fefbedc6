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

Below the centre a list lies in one province, and its search reads that province's keys only
(`MemberNameKey.province`, indexed before the key): the same order, from a range a 34th of
the country's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat

from cadrebook.core.normalize import normalize_name, search_text
from cadrebook.members.models import Member, MemberNameKey
from cadrebook.members.name_keys import PROVINCE_DEPTH, exact_form, province_of
from cadrebook.orgs.models import OrgUnit

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


def _range_keys(column: str, prefix: str, province: int | None) -> QuerySet[MemberNameKey]:
    """The keys of `column` that start with `prefix`: the country's (an index range of
    `member_name_key` or `member_name_key_exact`), or one province's (a range of
    `member_name_key_province` or `member_name_key_exact_province`, in the same order)."""
    keys = MemberNameKey.objects.filter(_in_range(column, prefix))
    return keys if province is None else keys.filter(province=province)


def name_matches(query: NameQuery) -> Exists:
    """Members (the outer query's) with a name key starting with the accent-free text."""
    return Exists(MemberNameKey.objects.filter(_in_range("key", query.norm, member=OuterRef("pk"))))


def written_as_typed(query: NameQuery) -> Exists:
    """Members (the outer query's) with a name key starting with the text as typed."""
    return Exists(
        MemberNameKey.objects.filter(_in_range("key_exact", query.typed, member=OuterRef("pk")))
    )


def tier_keys(
    members: QuerySet[Member],
    query: NameQuery,
    tier: int,
    ids: list[int] | None = None,
    province: int | None = None,
) -> QuerySet[MemberNameKey]:
    """The keys of tier `tier` of `members` (filtered and scoped by the caller), or of the
    members `ids` (the same ones, read out: the database then starts from their keys): one
    per member, unordered. `province`: every one of them is in that province (the keys'
    `province`), whose keys alone are read."""
    column, _attr = TIERS[tier]
    prefix = query.prefix(tier)
    keys = _range_keys(column, prefix, province)
    if ids is not None:
        keys = keys.filter(member_id__in=ids)
    else:
        keys = keys.filter(member__in=members.order_by().values("pk"))
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
# each next batch is as large as the share of keys kept so far says the rest of the page
# needs. Where the filters keep few keys, reading in key order would check many members for
# each one kept: once the batches say so, and the filters keep at most SMALL_SCOPE members
# (a commune's list, a rare status), the rest is read from those members' own keys; for a
# larger list, past WALK_LIMIT keys the rest is one query for the database to plan.
FIRST_BATCH = 4
MIN_BATCH = 50
WALK_PROBE = 5000
WALK_LIMIT = 40000
SMALL_SCOPE = 20000
# A count reads at most this many keys of each tier: beyond, it says "more than" what it
# found (a national list of "nguyen" has a million; the first thousand are what it shows).
COUNT_KEYS = 3000


class Scope:
    """The members a search reads among (the list's scope and filters, without the name) and,
    asked once when the walk finds them few, their ids: at most SMALL_SCOPE, else None.

    `within`: a unit whose subtree holds every one of the members as they stand now (the
    list's unit; not for a list "as of" a date, whose members may have moved since). Below
    the centre, it lies in one province, and the search reads that province's keys only
    (`MemberNameKey.province`): a province's first page is a range of its own index instead
    of the country's keys with 33 in 34 dropped."""

    def __init__(self, members: QuerySet[Member], within: OrgUnit | None = None) -> None:
        self.members = members
        self._within = within
        self._province: int | None = None
        self._ids: list[int] | None = None
        self._asked = False
        self._rows: dict[NameQuery, tuple[list[tuple[str, str, int]], ...]] = {}

    @property
    def below_province(self) -> bool:
        """Whether the scope lies below a province (a commune, a cell): its members are
        likely few, so a page asks for them first (`few_ids`) rather than walk keys of
        which it would keep one in a hundred."""
        return self._within is not None and self._within.depth > PROVINCE_DEPTH

    @property
    def province(self) -> int | None:
        """The province whose keys hold every member of the scope (None: the country's)."""
        within = self._within
        if within is None or within.depth < PROVINCE_DEPTH:
            return None
        if self._province is None:
            self._province = province_of(within)
        return self._province

    @property
    def asked(self) -> bool:
        """Whether `few_ids` was asked (by a page that found the members few)."""
        return self._asked

    def few_ids(self) -> list[int] | None:
        if not self._asked:
            self._asked = True
            ids = list(self.members.order_by().values_list("pk", flat=True)[: SMALL_SCOPE + 1])
            self._ids = ids if len(ids) <= SMALL_SCOPE else None
        return self._ids

    def tier_rows(
        self, query: NameQuery, tier: int, descending: bool
    ) -> list[tuple[str, str, int]]:
        """Every (key, name, member id) of tier `tier` among the few members, in the tier's
        order: their keys in range read by member (no order the database would rather keep
        to by reading the whole range) and sorted here, as the key index orders them (by
        code point)."""
        if query not in self._rows:
            self._rows[query] = _rows_of(self.few_ids() or [], query)
        rows = self._rows[query][tier]
        return rows[::-1] if descending else rows


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
    scope: Scope,
    query: NameQuery,
    tier: int,
    after: tuple[str, str, int] | None,
    descending: bool,
    wanted: int,
) -> list[tuple[str, str, int]]:
    """The first `wanted` (key, name, member id) of tier `tier` of the scope's members after
    `after`, in the tier's order: what `ordered(tier_keys(...))` gives, read without asking
    the database to plan a join whose size it cannot tell from a text's first letters."""
    return _walk(scope, query, tier, after, descending, wanted, None)[0]


def _walk(
    scope: Scope,
    query: NameQuery,
    tier: int,
    after: tuple[str, str, int] | None,
    descending: bool,
    wanted: int,
    budget: int | None,
) -> tuple[list[tuple[str, str, int]], bool]:
    """`walk`, reading at most `budget` keys in order (None: no limit); and whether it read
    all it was asked for (False: the budget ran out first)."""
    column, _attr = TIERS[tier]
    prefix = query.prefix(tier)
    rows: list[tuple[str, str, int]] = []
    batch_size, scanned = min(max(wanted * FIRST_BATCH, MIN_BATCH), wanted + 300), 0
    while len(rows) < wanted:
        if budget is not None and scanned >= budget:
            return rows, False
        # A count (with a budget) does not ask: a page that found the members few did.
        few = budget is None and (
            _few_kept(rows, scanned, wanted) if scanned else scope.below_province
        )
        if few and (ids := scope.few_ids()) is not None:
            return rows + _planned(
                scope, query, tier, after, descending, wanted - len(rows), ids
            ), True
        if scanned >= WALK_LIMIT:
            return rows + _planned(
                scope, query, tier, after, descending, wanted - len(rows), None
            ), True
        keys = _range_keys(column, prefix, scope.province)
        if after is not None:
            keys = keys.filter(after_key(column, after, descending))
        if budget is not None:
            batch_size = min(batch_size, budget - scanned)
        batch = list(ordered(keys, tier, descending)[:batch_size])
        if not batch:
            break
        scanned += len(batch)
        names = dict(
            scope.members.order_by()
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
        # As many keys as the share kept so far says the rest needs, a quarter more; at
        # most four times the last batch.
        kept = max(len(rows), 1) / scanned
        batch_size = min(max(int((wanted - len(rows)) / kept * 1.25), MIN_BATCH), batch_size * 4)
    return rows, True


def _rows_of(ids: list[int], query: NameQuery) -> tuple[list[tuple[str, str, int]], ...]:
    """Both tiers' rows of the members `ids`, each sorted: a member is in tier 0 at their
    first key as typed in range, else in tier 1 at their first accent-free key in range."""
    exact: dict[int, tuple[str, str, int]] = {}
    plain: dict[int, tuple[str, str, int]] = {}
    # The ranges are on the keys as expressions, which no index holds: the database reads
    # the members' keys by member (the primary key) instead of walking a key index's whole
    # range checking each entry against the ids (13 s for "le van" in a commune).
    keys = (
        MemberNameKey.objects.filter(member_id__in=ids)
        .annotate(k=Concat("key", Value("")), x=Concat("key_exact", Value("")))
        .filter(_in_range("k", query.norm) | _in_range("x", query.typed))
    )
    for pk, key, key_exact, name in keys.values_list("member_id", "key", "key_exact", "name_norm"):
        if query.typed <= key_exact < query.typed + TOP and (
            pk not in exact or key_exact < exact[pk][0]
        ):
            exact[pk] = (key_exact, name, pk)
        if query.norm <= key < query.norm + TOP and (pk not in plain or key < plain[pk][0]):
            plain[pk] = (key, name, pk)
    return sorted(exact.values()), sorted(r for pk, r in plain.items() if pk not in exact)


def _few_kept(rows: list[Any], scanned: int, wanted: int) -> bool:
    """Whether, at the share of keys kept so far, the rest of the page would take more than
    WALK_PROBE keys in all."""
    kept = len(rows) / scanned
    return kept == 0 or scanned + (wanted - len(rows)) / kept > WALK_PROBE


def _planned(
    scope: Scope,
    query: NameQuery,
    tier: int,
    after: tuple[str, str, int] | None,
    descending: bool,
    wanted: int,
    ids: list[int] | None,
) -> list[tuple[str, str, int]]:
    """The rest of `walk`: from the few members' own keys when `ids` are given, else as one
    query the database plans."""
    if ids is not None:
        rows = scope.tier_rows(query, tier, descending)
        if after is not None:
            rows = [r for r in rows if (r < after if descending else r > after)]
        return rows[:wanted]
    column, _attr = TIERS[tier]
    keys = tier_keys(scope.members, query, tier, province=scope.province)
    if after is not None:
        keys = keys.filter(after_key(column, after, descending))
    return list(ordered(keys, tier, descending)[:wanted])


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


def name_total(scope: Scope, query: NameQuery, cap: int | None = None, at_least: int = 0) -> Total:
    """How many of the scope's members the search finds, read as the pages are (`walk`):
    exact up to `cap` (COUNT_CAP unless given) when each tier's first COUNT_KEYS keys tell;
    else "more than" the number found less one (`at_least`, found by the caller's page,
    if larger)."""
    cap = COUNT_CAP if cap is None else cap
    if scope.few_ids() is not None if scope.asked else False:  # the page read them: count them
        total = sum(len(scope.tier_rows(query, tier, False)) for tier in (0, 1))
        return Total(min(total, cap), total <= cap)
    total = 0
    for tier in (0, 1):
        rows, complete = _walk(scope, query, tier, None, False, cap + 1 - total, COUNT_KEYS)
        total += len(rows)
        if total > cap:
            return Total(cap, False)
        if not complete:
            if max(total, at_least) == 0:  # none found yet: only the whole tier can tell
                total += len(_walk(scope, query, tier, None, False, cap + 1, None)[0])
                continue
            return Total(max(total, at_least) - 1, False)
    return Total(min(total, cap), total <= cap)
