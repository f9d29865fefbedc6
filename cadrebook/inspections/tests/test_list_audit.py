"""Reading a list of inspection files is audited (issue 19, item 6: "every view audited"):
one entry per request, on the pages and in the API, naming the list, its filters and the
number of rows shown; the entry stands on the top unit of the reader's scope."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.inspections import worklists
from cadrebook.inspections.reads import LIST_VIEWED
from cadrebook.inspections.services import program_create
from cadrebook.inspections.tests.test_pages import _client, _open


@pytest.fixture
def c1(tree: SimpleNamespace) -> Client:
    """An inspector of C1."""
    user = get_user_model().objects.create_user(username="c1-inspector")
    role_grant(actor=None, user=user, role="inspector", unit=tree.C1)
    return _client(user)


@pytest.fixture
def files(inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace) -> None:
    """Two inspections of C1 (open: their steps fall late) and its program of 2025."""
    _open(inspector, tree, docs, code="KT-01")
    _open(inspector, tree, docs, code="KT-02")
    program_create(
        actor=inspector, body=tree.C1, body_kind="inspection_committee", year=2025, title="CT"
    )


def _read(client: Client, url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one audit entry the request left (there must be exactly one)."""
    before = set(AuditEntry.objects.filter(event_type=LIST_VIEWED).values_list("pk", flat=True))
    answer = client.get(url, params or {})
    assert answer.status_code == 200, answer.content
    new = AuditEntry.objects.filter(event_type=LIST_VIEWED).exclude(pk__in=before)
    assert new.count() == 1
    entry = new.get()
    assert entry.action == "view" and entry.actor.username == "c1-inspector"
    return {"unit": entry.unit.code, **entry.after}


def test_each_list_page_read_leaves_one_entry_with_its_filters_and_rows(
    c1: Client, files: None
) -> None:
    entry = _read(c1, reverse("inspections:inspections"), {"kind": "thematic", "year": "2025"})
    assert entry == {
        "unit": "C1",
        "via": "page",
        "list": "inspections",
        "filters": {"kind": "thematic", "year": "2025"},
        "rows": 2,
    }
    entry = _read(c1, reverse("inspections:programs"), {"unit": "C1"})
    assert (entry["list"], entry["filters"], entry["rows"]) == ("programs", {"unit": "C1"}, 1)
    entry = _read(c1, reverse("inspections:disciplines"))
    assert (entry["list"], entry["filters"], entry["rows"]) == ("disciplines", {}, 0)


def test_the_worklists_page_counts_each_worklist(c1: Client, files: None) -> None:
    entry = _read(c1, reverse("inspections:worklists"))
    assert entry["list"] == "worklists"
    assert entry["counts"][worklists.LATE_STEPS] == 8  # the four steps after the decision
    assert entry["rows"] == sum(entry["counts"].values())
    assert set(entry["counts"]) == set(worklists.NAMES)


def test_each_api_list_read_leaves_one_entry(c1: Client, files: None) -> None:
    entry = _read(c1, "/api/v1/inspections", {"kind": "thematic"})
    assert (entry["via"], entry["list"], entry["rows"]) == ("api", "inspections", 2)
    assert entry["filters"] == {"kind": "thematic"}
    assert _read(c1, "/api/v1/inspection-programs", {"year": 2025})["filters"] == {"year": "2025"}
    assert _read(c1, "/api/v1/disciplines")["rows"] == 0
    for name in worklists.NAMES:
        entry = _read(c1, f"/api/v1/inspections/worklists/{name}")
        assert entry["list"] == name
    assert _read(c1, "/api/v1/inspections/worklists/late-steps")["rows"] == 8


def test_a_caller_who_reads_no_file_anywhere_leaves_no_entry(tree: SimpleNamespace) -> None:
    organizer = get_user_model().objects.create_user(username="organizer")
    role_grant(actor=None, user=organizer, role="organizer", unit=tree.C1)
    client = _client(organizer)
    assert client.get("/api/v1/inspections").json()["items"] == []
    assert not AuditEntry.objects.filter(event_type=LIST_VIEWED).exists()


def test_a_list_page_asks_as_many_queries_for_two_rows_as_for_one(
    c1: Client, inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace
) -> None:
    _open(inspector, tree, docs, code="KT-01")
    url = reverse("inspections:inspections")
    c1.get(url)  # the session and the rule set read once
    with CaptureQueriesContext(connection) as one:
        c1.get(url)
    _open(inspector, tree, docs, code="KT-02")
    with CaptureQueriesContext(connection) as two:
        c1.get(url)
    assert len(two) == len(one)
