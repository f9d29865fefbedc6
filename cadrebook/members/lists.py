"""Member lists: the filters of the list page, its sort orders and keyset pagination.

Keyset pagination ("the rows after this one") costs the same on the last page as on the
first, so a list stays fast at millions of rows where OFFSET would read every skipped row.
The cursor carries the sort values of the last row shown.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from cadrebook.core.ages import age_brackets, latest_birth_date
from cadrebook.core.errors import ServiceError
from cadrebook.core.normalize import search_text
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import PATH_END, subtree_q
from cadrebook.members.choices import ACTIVE_STATUSES, Gender, MemberStatus
from cadrebook.members.models import Member, MemberPeriod
from cadrebook.members.search import (
    TIERS,
    NameQuery,
    Scope,
    Total,
    capped_count,
    name_matches,
    name_query,
    name_total,
    walk,
    written_as_typed,
)
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import depth_on

PAGE_SIZE = 50

# Filters that read a field masked for roles without "view_sensitive" (the list page's and
# the API's): filtering by a masked field would tell it one query at a time.
SENSITIVE_FILTERS = ("bracket", "ethnicity", "born_before", "born_after")
# Sort name -> the (indexed) column ordered by; the member id breaks ties.
SORTS: dict[str, str] = {
    "name": "name_norm",
    "birth_date": "birth_date",
    "admitted_on": "admitted_on",
}


def _status_choices() -> list[tuple[str, Any]]:
    return [
        ("active", _("Members (probationary and full)")),
        *MemberStatus.choices,
        ("all", _("Everybody")),
    ]


class MemberFilterForm(forms.Form):
    """The filters of a member list; every field is optional."""

    q = forms.CharField(label=_("Name, national ID or card number"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_status_choices)
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[("", _("Any")), *Gender.choices]
    )
    bracket = forms.ChoiceField(label=_("Age bracket"), required=False)
    ethnicity = forms.CharField(label=_("Ethnicity"), required=False, max_length=64)
    exempt = forms.ChoiceField(
        label=_("Exempt from activities"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Exempt")), ("no", _("Not exempt"))],
    )
    admitted_from = forms.DateField(
        label=_("Admitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    admitted_to = forms.DateField(
        label=_("Admitted to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    as_of = forms.DateField(
        label=_("Members on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Only those who were members of this subtree on that date."),
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name")),
            ("-name", _("Name, Z to A")),
            ("birth_date", _("Date of birth")),
            ("-birth_date", _("Date of birth, latest first")),
            ("admitted_on", _("Admitted on")),
            ("-admitted_on", _("Admitted on, latest first")),
        ],
    )

    def __init__(self, *args: Any, sensitive: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        brackets = [(b.label, b.label) for b in age_brackets(current_ruleset())]
        self.fields["bracket"].choices = [("", _("Any")), *brackets]
        if not sensitive:  # a role that sees them masked is not offered what would tell them
            del self.fields["bracket"], self.fields["ethnicity"]
            sort = cast(forms.ChoiceField, self.fields["sort"])
            sort.choices = [c for c in sort.choices if "birth_date" not in str(c[0])]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("admitted_from"), data.get("admitted_to")
        if low and high and low > high:
            self.add_error("admitted_to", _("The end of the range comes before its start."))
        return data


def refuse_masked_filters(data: Mapping[str, Any]) -> None:
    """Refuse the filters on masked fields that `data` sets (for a role that sees those
    fields masked): the same refusal in the browser and the API, naming the filters."""
    names = [name for name in SENSITIVE_FILTERS if data.get(name) not in (None, "")]
    if names:
        raise ServiceError(
            "member.filter_masked",
            gettext_now(
                "Your role sees dates of birth and ethnicity masked, so it cannot filter by "
                "them (%(filters)s)."
            )
            % {"filters": ", ".join(names)},
            field=names[0],
        )


def _whole_tree(unit: OrgUnit) -> bool:
    """Whether `unit` is the one root: its subtree filter would keep every member, and
    leaving it out spares each query a join to every unit."""
    if unit.depth != 1:
        return False
    known = getattr(unit, "_whole_tree", None)  # asked once per unit object (per request)
    if known is None:
        others = Q(path__lt=unit.path) | Q(path__gte=unit.path + PATH_END)
        known = not OrgUnit.objects.filter(others).exists()
        unit._whole_tree = known  # type: ignore[attr-defined]
    return bool(known)


def search_within(unit: OrgUnit, data: Mapping[str, Any]) -> OrgUnit | None:
    """The unit whose subtree holds every member `filtered_members(unit, data)` lists as they
    stand now, for `keyset_page(within=...)`: `unit`, unless the list is of the members "as
    of" a date (a member of the subtree then may be in another province now)."""
    return None if data.get("as_of") else unit


def filtered_members(
    unit: OrgUnit, data: dict[str, Any], *, sensitive: bool = True
) -> QuerySet[Member]:
    """The members of `unit`'s subtree that pass the cleaned filters `data`, annotated with
    the sort keys. Scoping to the user is the caller's (`visible_to`). Without `sensitive`
    (a role that sees those fields masked) the filters on them are left out — age bracket,
    ethnicity, national ID — since filtering would tell what the mask hides."""
    if not sensitive:
        data = {k: v for k, v in data.items() if k not in SENSITIVE_FILTERS}
    qs = Member.objects.select_related("unit")
    if not _whole_tree(unit):
        qs = qs.filter(subtree_q("unit__path", [unit.path]))
    status = data.get("status") or "active"
    if status == "active":
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    elif status != "all":
        qs = qs.filter(status=status)
    if data.get("gender"):
        qs = qs.filter(gender=data["gender"])
    on = data.get("as_of") or dt.date.today()
    if data.get("bracket"):
        for b in age_brackets(current_ruleset()):
            if b.label == data["bracket"]:
                qs = qs.filter(birth_date__lte=latest_birth_date(on, b.low))
                if b.high is not None:
                    qs = qs.filter(birth_date__gt=latest_birth_date(on, b.high + 1))
    if data.get("ethnicity"):
        qs = qs.filter(ethnicity__iexact=data["ethnicity"].strip())
    if data.get("exempt"):
        qs = qs.filter(exempt=data["exempt"] == "yes")
    if data.get("admitted_from"):
        qs = qs.filter(admitted_on__gte=data["admitted_from"])
    if data.get("admitted_to"):
        qs = qs.filter(admitted_on__lte=data["admitted_to"])
    if data.get("as_of"):
        in_force = MemberPeriod.objects.filter(
            **{f"anc{depth_on(unit, on)}": unit.pk},
            valid_from__lte=on,
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        qs = qs.filter(pk__in=in_force.values("member_id"))
    text = search_text(data.get("q"))
    if not text:
        return qs
    query = name_query(text)
    if query is None:  # digits: a card number, or a national ID the reader may see
        found = Q(card_number=text)
        if sensitive:  # a match on a masked national ID would confirm it
            found |= Q(national_id=text)
        return qs.filter(found)
    # Names with the diacritics exactly as typed come first.
    return qs.filter(name_matches(query)).annotate(
        rank=Case(
            When(written_as_typed(query), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )


@dataclass
class Page:
    """One page of a keyset-paginated list: its rows, the cursor of the next page and, when
    asked for, how many rows the list has (exact up to `COUNT_CAP`, else "more than")."""

    rows: list[Member]
    next_cursor: str | None
    total: Total | None = None


def _segments(qs: QuerySet[Member], column: str, ranked: bool) -> list[tuple[Q, bool]]:
    """The parts the list is read in, in order: (filter, whether the sort column is set).
    Rows without a value (no date of birth) come after those with one; with a search text,
    exact-diacritic matches (rank 0) before the others. Each part is read by an index in
    its own order, so no page sorts the whole list."""
    nullable = Member._meta.get_field(column).null
    values = [Q(**{f"{column}__isnull": False})] if nullable else [Q()]
    parts = [(q, True) for q in values]
    if nullable:
        parts.append((Q(**{f"{column}__isnull": True}), False))
    if not ranked:
        return parts
    return [(Q(rank=r) & q, has_value) for r in (0, 1) for q, has_value in parts]


def keyset_page(
    qs: QuerySet[Member],
    sort: str,
    cursor: str = "",
    *,
    ranked: bool = False,
    size: int = PAGE_SIZE,
    text: str = "",
    count: bool = False,
    unsearched: QuerySet[Member] | None = None,
    within: OrgUnit | None = None,
) -> Page:
    """The page of `size` rows of `qs` in the order `sort` after the row `cursor` names (first
    page: ""); `ranked`: a search text ranks exact-diacritic matches first (the `rank`
    annotation). `text`, the name searched for (`filtered_members` filtered `qs` by it):
    sorted by name, the page is read from the name keys (`members.search`). `count`: say
    how many rows the list has, up to COUNT_CAP. `unsearched`: `qs` without the name
    search's own filter (the same filters with no text), which the name keys replace — the
    same rows, read without checking each one's name again. `within`: the unit whose
    subtree holds every row of `qs` as it stands now (`search_within`): a name search then
    reads its province's keys only."""
    descending = sort.startswith("-")
    column = SORTS.get(sort.lstrip("-"), SORTS["name"])
    query = name_query(text) if column == "name_norm" else None
    scope = None
    if query is not None:
        scope = Scope(qs if unsearched is None else unsearched, within)
        page = _name_page(scope, query, cursor, size, descending)
    else:
        page = _column_page(qs, column, cursor, ranked, size, descending)
    if not count:
        return page
    if not cursor and page.next_cursor is None:  # the whole list is on this page
        page.total = Total(len(page.rows), True)
    elif scope is not None and query is not None:
        page.total = name_total(scope, query, at_least=len(page.rows) + bool(page.next_cursor))
    else:
        page.total = capped_count([qs])
    return page


def _name_page(scope: Scope, query: NameQuery, cursor: str, size: int, descending: bool) -> Page:
    """A page of a name search sorted by name, read from the name keys: tier by tier, each
    in its index's order after the cursor's (tier, key, name, member id)."""
    start, after = _decode_name(cursor)
    found: list[tuple[int, str, str, int]] = []
    for tier in range(start, len(TIERS)):
        wanted = size + 1 - len(found)
        rows = walk(scope, query, tier, after if tier == start else None, descending, wanted)
        found += [(tier, *row) for row in rows]
        if len(found) > size:
            break
    more = len(found) > size
    found = found[:size]
    members = scope.members.order_by().in_bulk([row[3] for row in found])
    rows = [members[row[3]] for row in found if row[3] in members]
    next_cursor = _encode(["n", *found[-1]]) if more and found else None
    return Page(rows, next_cursor)


def _decode_name(cursor: str) -> tuple[int, tuple[str, str, int] | None]:
    """(tier, (key, name, member id)) of a name search's cursor; another starts over."""
    if not cursor:
        return 0, None
    try:
        tag, tier, key, name, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        if tag != "n" or tier not in (0, 1) or not isinstance(pk, int) or not 0 < pk < 2**63:
            raise ValueError(cursor)
        if not isinstance(key, str) or not isinstance(name, str) or _forged(key + name):
            raise ValueError(cursor)
    except (ValueError, TypeError, UnicodeDecodeError):
        return 0, None
    return tier, (key, name, pk)


def _column_page(
    qs: QuerySet[Member], column: str, cursor: str, ranked: bool, size: int, descending: bool
) -> Page:
    """A page of `qs` in the order of `column` (then the member id), segment by segment."""
    ranked = ranked and "rank" in qs.query.annotations  # a blank search text ranks nothing
    segments = _segments(qs, column, ranked)
    start, value, last_pk = _decode(cursor, column) if cursor else (0, None, None)
    rows: list[tuple[int, Member]] = []
    for index in range(start, len(segments)):
        condition, has_value = segments[index]
        part = qs.filter(condition)
        if index == start and last_pk is not None and (value is not None or not has_value):
            part = part.filter(_after(column, value, last_pk, has_value, descending))
        keys = [column, "pk"] if has_value else ["pk"]
        part = part.order_by(*[F(k).desc() if descending else F(k).asc() for k in keys])
        wanted = size + 1 - len(rows)
        rows += [(index, m) for m in part[:wanted]]
        if len(rows) > size:
            break
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if more and rows:
        index, last = rows[-1]
        next_cursor = _encode([index, getattr(last, column), last.pk])
    return Page([m for _i, m in rows], next_cursor)


def _after(column: str, value: Any, pk: int, has_value: bool, descending: bool) -> Q:
    """The rows after (value, pk) in the segment's order. The redundant bound on the column
    alone lets the database start its index scan at the value instead of the beginning."""
    op = "lt" if descending else "gt"
    if not has_value:
        return Q(**{f"pk__{op}": pk})
    bound = Q(**{f"{column}__{op}e": value})
    return bound & (Q(**{f"{column}__{op}": value}) | Q(**{column: value, f"pk__{op}": pk}))


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _forged(text: str) -> bool:
    """Text no name holds, so a cursor carrying it was made by hand: a NUL, or a lone
    surrogate that no database can store (not UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return "\x00" in text


def _decode(cursor: str, column: str) -> tuple[int, Any, int | None]:
    """(segment, sort value, member id) of a cursor; an unreadable one starts over."""
    try:
        index, value, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        if column != "name_norm" and value is not None:
            value = dt.date.fromisoformat(value)
        elif column == "name_norm" and not isinstance(value, str | None):
            raise ValueError(cursor)
        if isinstance(value, str) and _forged(value):
            raise ValueError(cursor)
        if not isinstance(index, int) or not isinstance(pk, int) or not 0 <= index < 4:
            raise ValueError(cursor)
        if not 0 < pk < 2**63:  # beyond a bigint the database refuses the query
            raise ValueError(cursor)
    except (ValueError, TypeError, UnicodeDecodeError):
        return 0, None, None
    return index, value, pk
