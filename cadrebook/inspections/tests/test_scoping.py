"""Inspection files are confidential: read with `view_inspections` in the body's scope only;
out of scope, or with plain `view`, they are not there. The subject's side reads only the
conclusion concerning it. The register lists the citing records to those who may read them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from cadrebook.accounts.services import role_grant
from cadrebook.documents.citations import citing_records
from cadrebook.inspections import selectors
from cadrebook.inspections.models import Discipline, Inspection
from cadrebook.inspections.services import (
    Finding,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
    recommendation_add,
)

D = dt.date


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _user(name: str, role: str, unit: Any) -> Any:
    user = get_user_model().objects.create_user(username=name)
    role_grant(actor=None, user=user, role=role, unit=unit)
    return user


@pytest.fixture
def file(tree, inspector, docs, people) -> Inspection:
    """C1's inspection committee inspects K1 and a member of K1; concluded with a
    recommendation to K1."""
    inspection = inspection_open(
        actor=inspector,
        code="KT-01",
        body=tree.C1,
        body_kind="inspection_committee",
        kind="signs_of_violation",
        decided_on=D(2025, 3, 3),
        document=docs.c1,
        subject_units=[tree.K1],
        subject_members=[people.k1],
    )
    for step, day in (
        ("plan", D(2025, 3, 10)),
        ("working", D(2025, 4, 1)),
        ("report", D(2025, 5, 1)),
    ):
        inspection_record_step(actor=inspector, inspection=inspection, step=step, done_on=day)
    unit_subject = inspection.subjects.get(unit=tree.K1)
    inspection_conclude(
        actor=inspector,
        inspection=inspection,
        concluded_on=D(2025, 6, 2),
        document=docs.c1_conclusion,
        findings=[
            Finding(unit_subject, False, text="Đúng quy định"),
            Finding(inspection.subjects.get(member=people.k1), True, "corruption", "Vi phạm"),
        ],
        summary="Tổng hợp",
    )
    recommendation_add(
        actor=inspector,
        inspection=inspection,
        subject=unit_subject,
        text="Rút kinh nghiệm",
        owner_unit=tree.K1,
    )
    return inspection


def test_inspectors_read_the_files_of_bodies_in_their_scope_only(tree, file):
    of_c1 = _user("c1_inspector", "inspector", tree.C1)
    of_c2 = _user("c2_inspector", "inspector", tree.C2)
    of_g1 = _user("g1_inspector", "inspector", tree.G1)
    assert list(selectors.inspections(of_c1)) == [file]
    assert selectors.inspection_file(of_c1, file.pk) == file
    assert selectors.inspection_subjects(of_c1).count() == 2
    assert selectors.recommendations(of_c1).count() == 1
    for outsider in (of_c2, of_g1):  # another subtree; a body below the inspecting one
        assert not selectors.inspections(outsider).exists()
        assert selectors.inspection_file(outsider, file.pk) is None
        assert not selectors.inspection_subjects(outsider).exists()
        assert not selectors.recommendations(outsider).exists()


def test_view_alone_does_not_open_an_inspection_file(tree, file):
    organizer = _user("organizer", "organizer", None)
    viewer = _user("viewer", "viewer", tree.C1)
    for user in (organizer, viewer, None):
        assert not selectors.inspections(user).exists()
        assert not selectors.programs(user).exists()
        assert not selectors.disciplines(user).exists()


def test_the_subject_side_reads_only_the_conclusion_concerning_it(tree, file, people):
    k1_viewer = _user("k1_viewer", "viewer", tree.K1)
    k2_viewer = _user("k2_viewer", "viewer", tree.K2)
    [seen] = selectors.conclusions_concerning(k1_viewer, unit=tree.K1)
    assert (seen.code, seen.violation_found, seen.findings) == ("KT-01", False, "Đúng quy định")
    assert seen.recommendations == ("Rút kinh nghiệm",)
    assert not hasattr(seen, "conclusion_summary")  # the file's summary is not the subject's
    # On a member, a viewer learns only that a violation was found (the rest is personal:
    # `test_conclusion_privacy.py`); a clerk of the member's cell reads the finding.
    [on_member] = selectors.conclusions_concerning(k1_viewer, member=people.k1)
    assert (on_member.violation_found, on_member.violation_kind) == (True, "")
    assert on_member.findings == "" and not on_member.detailed
    k1_clerk = _user("k1_clerk", "clerk", tree.K1)
    [on_member] = selectors.conclusions_concerning(k1_clerk, member=people.k1)
    assert (on_member.violation_found, on_member.violation_kind) == (True, "corruption")
    assert on_member.findings == "Vi phạm" and on_member.detailed
    assert on_member.recommendations == ()
    assert selectors.conclusions_concerning(k2_viewer, unit=tree.K1) == []


def test_an_open_inspection_shows_the_subject_nothing(tree, inspector, docs):
    inspection_open(
        actor=inspector,
        code="KT-02",
        body=tree.C1,
        body_kind="inspection_committee",
        kind="surprise",
        decided_on=D(2025, 3, 3),
        document=docs.c1,
        subject_units=[tree.K2],
    )
    assert selectors.conclusions_concerning(_user("v", "viewer", tree.K2), unit=tree.K2) == []


def test_the_register_lists_the_citing_inspection_to_its_readers_only(tree, file, docs):
    of_c1 = _user("c1_inspector", "inspector", tree.C1)
    decision = citing_records(docs.c1, of_c1)
    assert [(c.kind, c.date) for c in decision] == [("inspection", D(2025, 3, 3))]
    assert "KT-01" in decision[0].label
    assert decision[0].url == f"/inspections/{file.pk}/"  # the file's page, same scope
    assert _client(of_c1).get(decision[0].url).status_code == 200
    conclusion = citing_records(docs.c1_conclusion, of_c1)
    assert [(c.kind, c.date) for c in conclusion] == [("inspection", D(2025, 6, 2))]
    organizer = _user("organizer", "organizer", None)
    assert citing_records(docs.c1, organizer) == []


def _discipline(tree: Any, docs: Any, people: Any, **kw: Any) -> Discipline:
    # The discipline's services come with the discipline engine (phase 2): a row for reads.
    values = {
        "subject_kind": "member",
        "member": people.k1,
        "subject_status": "full",
        "subject_path": tree.K1.path,
        "form": "warning",
        "body": tree.C1,
        "body_kind": "inspection_committee",
        "path": tree.C1.path,
        "decided_on": D(2025, 7, 1),
        "document": docs.c1,
        "violation": "Vi phạm",
        "violation_on": D(2025, 1, 5),
        "ruleset": "vn-2025",
        **kw,
    }
    return Discipline.objects.create(**values)


def test_disciplines_are_scoped_by_their_subject_and_cited_to_readers_only(tree, docs, people):
    discipline = _discipline(tree, docs, people)
    of_g1 = _user("g1_inspector", "inspector", tree.G1)
    of_c2 = _user("c2_inspector", "inspector", tree.C2)
    assert list(selectors.disciplines(of_g1)) == [discipline]  # the member's record
    assert not selectors.disciplines(of_c2).exists()
    cited = citing_records(docs.c1, of_g1)
    assert [(c.kind, c.date) for c in cited] == [("discipline", D(2025, 7, 1))]
    assert people.k1.full_name not in cited[0].label
    assert "Warning" in cited[0].label  # the form's label, not its code
    assert cited[0].url == f"/disciplines/{discipline.pk}/"
    assert citing_records(docs.c1, of_c2) == []
    assert citing_records(docs.c1, _user("organizer", "organizer", None)) == []


def test_the_database_refuses_a_discipline_without_exactly_its_kind_of_subject(tree, docs, people):
    for kw in (
        {"unit": tree.K1},  # a member's discipline naming a unit too
        {"subject_kind": "unit", "unit": None},  # an organization's naming a member
        {"violation_on": D(2025, 8, 1)},  # committed after the decision
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            _discipline(tree, docs, people, **kw)
    assert not Discipline.objects.exists()
