"""The subject sees the conclusion that concerns it, not the file (issue 19, item 6) — and a
finding on an individual member is that member's personal data: its text, the kind of
violation and the recommendations to the member are read only by who reads the member's
personal data (`view_sensitive`) or the discipline files (`view_inspections`) on the
member's unit. A plain reader of the unit (a viewer) learns the conclusion's code, kind, body,
day and document and whether a violation was found. An organization's conclusion is not
personal: every reader of the unit reads it whole."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cadrebook.accounts.services import role_grant
from cadrebook.inspections import selectors
from cadrebook.inspections.models import Inspection
from cadrebook.inspections.services import (
    Finding,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
    recommendation_add,
)

D = dt.date
FINDING = "Nhận quà biếu không đúng quy định"
ADVICE = "Kiểm điểm trước chi bộ"
UNIT_FINDING = "Chi bộ sinh hoạt chưa đều"


def _user(name: str, role: str, unit: Any) -> Any:
    user = get_user_model().objects.create_user(username=name)
    role_grant(actor=None, user=user, role=role, unit=unit)
    return user


@pytest.fixture
def concluded(tree: SimpleNamespace, inspector: Any, docs: Any, people: Any) -> Inspection:
    """C1's inspection committee inspected K1 and a member of K1: a violation on both, a
    recommendation to each."""
    inspection = inspection_open(
        actor=inspector,
        code="KT-09",
        body=tree.C1,
        body_kind="inspection_committee",
        kind="signs_of_violation",
        decided_on=D(2025, 3, 3),
        document=docs.c1,
        subject_units=[tree.K1],
        subject_members=[people.k1],
    )
    for step, day in (("plan", D(2025, 3, 10)), ("working", D(2025, 4, 1))):
        inspection_record_step(actor=inspector, inspection=inspection, step=step, done_on=day)
    inspection_record_step(
        actor=inspector, inspection=inspection, step="report", done_on=D(2025, 5, 1)
    )
    on_unit = inspection.subjects.get(unit=tree.K1)
    on_member = inspection.subjects.get(member=people.k1)
    inspection_conclude(
        actor=inspector,
        inspection=inspection,
        concluded_on=D(2025, 6, 2),
        document=docs.c1_conclusion,
        findings=[
            Finding(on_unit, True, "organization_principles", UNIT_FINDING),
            Finding(on_member, True, "corruption", FINDING),
        ],
    )
    recommendation_add(
        actor=inspector, inspection=inspection, subject=on_member, text=ADVICE, owner_unit=tree.K1
    )
    recommendation_add(
        actor=inspector,
        inspection=inspection,
        subject=on_unit,
        text="Củng cố sinh hoạt",
        owner_unit=tree.K1,
    )
    return inspection


def test_a_viewer_learns_only_that_a_violation_was_found_on_the_member(
    tree: SimpleNamespace, concluded: Inspection, people: SimpleNamespace, docs: Any
) -> None:
    viewer = _user("p_viewer", "viewer", tree.P)
    [c] = selectors.conclusions_concerning(viewer, member=people.k1)
    assert (c.code, c.kind, c.body_id, c.concluded_on) == (
        "KT-09",
        "signs_of_violation",
        tree.C1.pk,
        D(2025, 6, 2),
    )
    assert c.document_id == docs.c1_conclusion.pk and c.violation_found is True
    assert (c.violation_kind, c.findings, c.recommendations, c.detailed) == ("", "", (), False)


@pytest.mark.parametrize("role", ["clerk", "inspector"])
def test_who_reads_personal_data_or_the_files_reads_the_finding_on_the_member(
    tree: SimpleNamespace, concluded: Inspection, people: SimpleNamespace, role: str
) -> None:
    reader = _user(f"p_{role}", role, tree.P)
    [c] = selectors.conclusions_concerning(reader, member=people.k1)
    assert (c.violation_kind, c.findings, c.recommendations, c.detailed) == (
        "corruption",
        FINDING,
        (ADVICE,),
        True,
    )


def test_the_grant_must_cover_the_members_unit(
    tree: SimpleNamespace, concluded: Inspection, people: SimpleNamespace
) -> None:
    """A clerk of K2 (another cell) holds `view_sensitive` elsewhere: no sight of K1's member
    at all; a viewer at P with a clerk's grant on C2 only reads the viewer's part."""
    assert selectors.conclusions_concerning(_user("k2c", "clerk", tree.K2), member=people.k1) == []
    both = _user("both", "viewer", tree.P)
    role_grant(actor=None, user=both, role="clerk", unit=tree.C2)
    [c] = selectors.conclusions_concerning(both, member=people.k1)
    assert c.findings == "" and not c.detailed


def test_a_viewer_reads_the_organizations_conclusion_whole(
    tree: SimpleNamespace, concluded: Inspection
) -> None:
    [c] = selectors.conclusions_concerning(_user("p_viewer", "viewer", tree.P), unit=tree.K1)
    assert (c.violation_kind, c.findings, c.detailed) == (
        "organization_principles",
        UNIT_FINDING,
        True,
    )
    assert c.recommendations == ("Củng cố sinh hoạt",)


def test_the_dossier_shows_a_viewer_no_more_than_the_violation_found(
    tree: SimpleNamespace, concluded: Inspection, people: SimpleNamespace
) -> None:
    url = f"/members/{people.k1.pk}/"
    viewer = Client()
    viewer.force_login(_user("p_viewer", "viewer", tree.P))
    page = viewer.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="conclusions-concerning"' in html and "KT-09" in html
    assert "Violation found" in html
    assert FINDING not in html and ADVICE not in html and "Corruption, waste" not in html

    clerk = Client()
    clerk.force_login(_user("p_clerk", "clerk", tree.P))
    html = clerk.get(url).content.decode()
    assert FINDING in html and ADVICE in html


def test_after_a_transfer_the_new_units_readers_read_the_conclusion_on_their_member(
    tree: SimpleNamespace, concluded: Inspection, people: SimpleNamespace, inspector: Any
) -> None:
    """The member's side is the member's unit of today, not the unit at the inspection."""
    from cadrebook.members.services import member_transfer

    member_transfer(actor=inspector, member=people.k1, date=D(2026, 3, 3), to_unit=tree.GC)
    people.k1.refresh_from_db()
    [c] = selectors.conclusions_concerning(_user("gc_clerk", "clerk", tree.C2), member=people.k1)
    assert c.findings == FINDING and c.detailed
    old_cell = _user("k1_viewer", "viewer", tree.K1)
    assert selectors.conclusions_concerning(old_cell, member=people.k1) == []
