"""The number of queries of the main pages and API endpoints is pinned (a NetBox habit): a
list asks as many queries for 25 rows as for 5, and a page that suddenly asks the database
more often fails here before it is slow at a province's scale.

The numbers are exact, for SQLite and for PostgreSQL (which asks one more query where the
request writes an audit entry: it locks the head of the audit chain).
If a change adds a query on purpose, update the number here and say why in the commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core import replica
from cadrebook.members import services as ms
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.services import unit_create

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _no_wal_position(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a read replica, a request that wrote asks the primary's WAL position once, for the
    browser's next reads (core/replica.py): a constant of the request, not the page's cost."""
    monkeypatch.setattr(replica, "_primary_position", lambda: "")


@pytest.fixture
def site(token_clients: Callable[..., dict[str, Any]]) -> SimpleNamespace:
    """P1 > C1 > K1, K1B; the province's organizer in the browser and through a token."""
    p1 = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    c1 = unit_create(actor=None, code="C1", name="Xã Một", kind="commune_committee", parent=p1)
    k1 = unit_create(actor=None, code="K1", name="Chi bộ Một", kind="grassroots_cell", parent=c1)
    k1b = unit_create(actor=None, code="K1B", name="Chi bộ Hai", kind="grassroots_cell", parent=c1)
    organizer = get_user_model().objects.create_user(username="organizer")
    role_grant(actor=None, user=organizer, role=Role.ORGANIZER, unit=p1)
    browser = Client()
    browser.force_login(organizer)
    api = token_clients([("script", Role.ORGANIZER, p1)])["script"]
    site = SimpleNamespace(p1=p1, c1=c1, k1=k1, k1b=k1b, browser=browser, api=api)
    site.members, site.transfers, site.cells = [], [], []

    def member(unit: OrgUnit, i: int, recognized: bool) -> Member:
        m = ms.member_register_applicant(
            taken_over=True,
            actor=None,
            unit=unit,
            date=dt.date(2019, 1, 1),
            full_name=f"Nguyễn Văn {i}",
            gender="male" if i % 2 else "female",
            birth_date=dt.date(1980 + i % 20, 1 + i % 12, 1),
            national_id=f"0010900{i:05d}",
        )
        ms.member_admit(taken_over=True, actor=None, member=m, date=dt.date(2019, 2, 1))
        if recognized:
            ms.member_recognize(taken_over=True, actor=None, member=m, date=dt.date(2020, 2, 1))
        return m

    def grow(n: int) -> None:
        """`n` members in K1, a third of them probationary and due for recognition; one
        pending transfer from K1B to K1 for every five."""
        while len(site.members) < n:
            i = len(site.members) + 1
            site.members.append(member(k1, i, recognized=bool(i % 3)))
        while len(site.transfers) < n // 5:
            moving = member(k1b, 1000 + len(site.transfers), recognized=True)
            ms.member_transfer_out(actor=None, member=moving, date=dt.date(2025, 3, 3), to_unit=k1)
            site.transfers.append(moving)

    def grow_cells(n: int) -> None:
        while len(site.cells) < n:
            code = f"K{len(site.cells) + 10}"
            site.cells.append(
                unit_create(actor=None, code=code, name=f"Chi bộ {code}", kind="cell", parent=c1)
            )

    site.grow, site.grow_cells = grow, grow_cells
    return site


def _queries(client: Client, url: str, params: dict[str, str]) -> int:
    client.get(url, params)  # caches filled by the first request are not the page's cost
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.content[:500])
    return len(ctx.captured_queries)


# The queries of one request as the province's organizer: (SQLite, PostgreSQL). PostgreSQL
# asks one more where the request writes an audit entry (it locks the chain's head). Every
# page with the navigation asks once whether the user reads inspection files somewhere (its
# "Inspections" entry, inspections/nav.py): one query for the role grants.
LISTS: dict[str, tuple[str, dict[str, str], tuple[int, int]]] = {
    # Due for recognition: the members on probation for the first time (ordered by an index)
    # and the few readmitted ones, read apart. The documents panel: the latest documents, the
    # grants that mask them, the running term and whether the user may register documents
    # (documents/unit_panels.py). The evaluation panel: the unit's ratings, its model records
    # and the rounds under way (evaluations/panels.py; a unit with units below it asks two
    # more: its organizations and their model records of the year). The conclusions of
    # inspections concerning the unit (inspections/panels.py): one.
    "unit page": ("/units/K1/", {}, (30, 30)),
    "member list": ("/members/", {"unit": "K1"}, (10, 11)),
    # Both tiers of name keys (accents as typed, then the others): a batch of keys and the
    # check of their members against the filters each (none found as typed: no check); and
    # whether the list's unit is the whole tree (its subtree filter is then left out).
    "member list, searched": ("/members/", {"unit": "P1", "q": "nguyen"}, (14, 15)),
    "transfers": ("/members/transfers/C1/", {}, (7, 7)),
    "audit log": ("/audit/unit/P1/", {}, (6, 6)),
    # The documents figure: one count by type for the period, one for the year before; the
    # evaluation figure: its tally and its quota, for each (those not rated: the statistics'
    # own counts, no query); the inspection and discipline figures: their grouped counts
    # (inspections, distinct subjects per depth, received from above, disciplines, appeals:
    # a number fixed by the tree's depth, not by its units), for each; and for a reader
    # without view_inspections (the organizer), its scope and the subtree's small remainder
    # on both dates, which decide whether they are withheld (reports/privacy.py).
    "reports dashboard": ("/reports/", {"unit": "P1", "year": "2024"}, (94, 94)),
    "API member list": ("/api/v1/members", {"unit": "C1"}, (8, 9)),
}


def _expected(pair: tuple[int, int]) -> int:
    return pair[1] if POSTGRES else pair[0]


def _pinned(client: Client, url: str, params: dict[str, str], assert_num: Any, n: int) -> None:
    client.get(url, params)
    with assert_num(n):
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.content[:500])


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_list_asks_as_many_queries_for_25_rows_as_for_5(
    site: SimpleNamespace, name: str, django_assert_num_queries: Any
) -> None:
    url, params, expected = LISTS[name]
    client = site.api if url.startswith("/api/") else site.browser
    site.grow(5)
    assert _queries(client, url, params) == _expected(expected), name
    site.grow(25)
    _pinned(client, url, params, django_assert_num_queries, _expected(expected))


def test_the_unit_list_of_the_api_asks_as_many_queries_for_25_units_as_for_5(
    site: SimpleNamespace, django_assert_num_queries: Any
) -> None:
    site.grow_cells(5)
    assert _queries(site.api, "/api/v1/units", {"parent": "C1"}) == 5
    site.grow_cells(25)
    _pinned(site.api, "/api/v1/units", {"parent": "C1"}, django_assert_num_queries, 5)


DETAILS: dict[str, tuple[Callable[[SimpleNamespace], str], tuple[int, int]]] = {
    # The ratings by year (evaluations/panels.py, through members/panels.py): one query. The
    # inspections' panel (inspections/panels.py): the conclusions concerning the member (one
    # query; the grants it reads are the navigation's, and the disciplines are asked only of
    # who reads discipline files).
    "member dossier": (lambda s: f"/members/{s.members[0].pk}/", (23, 24)),
    "API member": (lambda s: f"/api/v1/members/{s.members[0].pk}", (7, 8)),
    "API unit": (lambda s: "/api/v1/units/K1", (4, 4)),
}


@pytest.mark.parametrize("name", sorted(DETAILS))
def test_a_detail_page_asks_a_fixed_number_of_queries(
    site: SimpleNamespace, name: str, django_assert_num_queries: Any
) -> None:
    path, expected = DETAILS[name]
    site.grow(5)
    url = path(site)
    client = site.api if url.startswith("/api/") else site.browser
    _pinned(client, url, {}, django_assert_num_queries, _expected(expected))
