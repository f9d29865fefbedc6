"""What members shows on the pages of the unit tree (registered in `MembersConfig.ready`
through `orgs/panels.py`: orgs sits below members and never imports it): the member counts
of the tree's rows, and on the unit page the due lists and the member list with its search.

At national scale every figure here is read without reading a whole subtree: the tree's
rows count live only while their subtrees are small (`LIVE_COUNT_LIMIT`), and otherwise
show the latest statistics rebuild's figures with their date; the member list pages by
keyset and its count stops at `selectors.COUNT_CAP` ("more than 1,000")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from cadrebook.core.contributions import statistics_counts
from cadrebook.core.permissions import VIEW_SENSITIVE
from cadrebook.core.views import can
from cadrebook.members import selectors
from cadrebook.members.choices import MemberStatus
from cadrebook.members.lists import filtered_members, keyset_page, search_within
from cadrebook.members.selectors import due_lists, full_member_counts, unit_member_counts
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.panels import (
    UnitPanel,
    register_unit_figures,
    register_unit_panel,
)
from cadrebook.orgs.selectors import cells_below_minimum

# Members: when the rows' subtrees held more than this at the latest statistics rebuild,
# their counts are the rebuild's (one read) instead of live (a count of every member: about
# a second for the country's provinces, or a province's communes, at 6 million members).
LIVE_COUNT_LIMIT = 20_000


def member_figures(units: list[OrgUnit]) -> dict[int, dict[str, Any]]:
    """Per unit of the tree's rows: its members, and whether a cell is below the minimum.
    `members_on`/`members_built`: set when the count is the statistics' of that day (rebuilt
    then), not a live count."""
    counts_of = statistics_counts()
    stored = counts_of.stored_members(units, timezone.localdate()) if counts_of else {}
    if sum(s.members for s in stored.values()) <= LIVE_COUNT_LIMIT:
        stored = {}
    counts = unit_member_counts([u for u in units if u.pk not in stored])
    fulls = full_member_counts([u.pk for u in units])
    small = {u.pk for u in cells_below_minimum(units, fulls)}
    figures: dict[int, dict[str, Any]] = {}
    for u in units:
        row: dict[str, Any] = {"members": counts.get(u.pk, 0), "below_minimum": u.pk in small}
        if u.pk in stored:
            s = stored[u.pk]
            row.update(members=s.members, members_on=s.on, members_built=s.built)
        figures[u.pk] = row
    return figures


def _due(request: HttpRequest, unit: OrgUnit) -> dict[str, Any]:
    return {"due": due_lists(unit, timezone.localdate())}


PANEL_PAGE = 50  # rows of the member list per page

# The panel's status filter: "" is everybody, as the list page's "all".
STATUSES = [("active", ""), *MemberStatus.choices]


def _member_list(request: HttpRequest, unit: OrgUnit) -> dict[str, Any]:
    """The members of the unit's subtree, a keyset page at a time (`?after=`), with the
    list page's filters and search (status and name, national ID or card number), and how
    many there are, counted up to `COUNT_CAP`."""
    status = request.GET.get("status", "active")
    text = request.GET.get("q", "")
    sensitive = can(request.user, VIEW_SENSITIVE, unit.path)
    data = {"status": status or "all", "q": text}
    members = filtered_members(unit, data, sensitive=sensitive)
    after = request.GET.get("after", "")
    unsearched = filtered_members(unit, {**data, "q": ""}, sensitive=sensitive)
    page = keyset_page(
        members,
        "name",
        after,
        ranked=bool(text.strip()),
        size=PANEL_PAGE,
        text=text,
        unsearched=unsearched,
        within=search_within(unit, data),
    )
    count, capped = selectors.capped_count(members)
    return {
        "page": page,
        "after": after,
        "people": count,
        "people_capped": capped,
        "q": text,
        "status": status,
        "statuses": STATUSES,
    }


def register() -> None:
    register_unit_figures(member_figures)
    register_unit_panel(
        UnitPanel(name="due_lists", place="top", template="members/_unit_due.html", context=_due)
    )
    register_unit_panel(
        UnitPanel(
            name="members",
            place="main",
            template="members/_unit_member_panel.html",
            context=_member_list,
            fragment="members/_unit_members.html",
        )
    )
