"""`cadrebook import planning` and `cadrebook export planning`: people in the planning now go
through `planning_add` with every check; past entries taken over from the old files with the
checks that make sense for history; bad rows are refused with their row and column and
nothing is written; scoped; audited; an export imports back unchanged."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cadrebook.accounts.services import role_grant
from cadrebook.cadres.models import PlanningEntry, PlanningRemoval
from cadrebook.core.models import AuditEntry
from cadrebook.imports.context import Report
from cadrebook.imports.exporting import export_table
from cadrebook.imports.pipeline import run_import
from cadrebook.imports.templates_files import template_bytes

D = dt.date
HEADER = (
    "unit_code,position,term,member,added_on,document,removed_on,removal_reason,"
    "removal_note,removal_document"
)


@pytest.fixture
def known(people: SimpleNamespace) -> SimpleNamespace:
    """The people of the cadre tests, known by their external ids E1 (K1), E2 (K1), E3 (GC),
    OLD (K1, a woman retiring in May 2027) and PROB (K1, probationary)."""
    for code, m in (
        ("E1", people.k1),
        ("E2", people.k1b),
        ("E3", people.gc),
        ("OLD", people.older),
        ("PROB", people.probationary),
    ):
        m.external_id = code
        m.save(update_fields=["external_id"])
    return people


@pytest.fixture
def run(tmp_path: Path) -> Any:
    def go(text: str, actor: Any) -> Report:
        path = tmp_path / "planning.csv"
        path.write_text(text, encoding="utf-8")
        report = run_import(actor=actor, kind="planning", path=str(path))
        counted = report.created + report.updated + report.unchanged + len(report.refused_rows)
        assert report.file_error is not None or counted == report.rows_read, report.as_dict()
        return report

    return go


def _csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def _export(actor: Any, **kw: Any) -> str:
    out = io.BytesIO()
    export_table(actor=actor, kind="planning", out=out, **kw)
    return out.getvalue().decode("utf-8-sig")


def _errors(report: Report) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.code) for e in report.errors]


def test_people_planned_now_go_through_planning_add(
    run: Any, organizer: Any, terms: SimpleNamespace, known: SimpleNamespace, decision: Any
) -> None:
    label = terms.c1.label
    report = run(
        _csv(
            f"C1,secretary,{label},E1,2025-03-01,{decision.symbol},,,,",
            "C1,deputy_secretary,2025,E2,2025-03-01,05-QĐ/TU,,,,",
        ),
        organizer,
    )
    assert report.ok and report.committed, report.as_dict()
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    secretary = PlanningEntry.objects.get(position="secretary")
    assert (secretary.term_id, secretary.document_id) == (terms.c1.pk, decision.pk)
    deputy = PlanningEntry.objects.get(position="deputy_secretary")
    assert (deputy.document_id, deputy.document_text) == (None, "05-QĐ/TU")
    assert AuditEntry.objects.filter(event_type="planning.added").count() == 2


def test_bad_rows_are_refused_with_row_and_column_and_nothing_is_written(
    run: Any, organizer: Any, terms: SimpleNamespace, known: SimpleNamespace
) -> None:
    report = run(
        _csv(
            "C1,secretary,,E1,2025-03-01,05-QĐ/TU,,,,",
            "C1,secretary,,E2,2025-03-01,,,,,",
            "C1,chief,,E2,2025-03-01,05-QĐ/TU,,,,",
            "C1,secretary,1999,E2,2025-03-01,05-QĐ/TU,,,,",
            "C1,secretary,,NOBODY,2025-03-01,05-QĐ/TU,,,,",
            "C1,secretary,,OLD,2025-03-01,05-QĐ/TU,,,,",
            "C1,deputy_secretary,,E2,2025-03-01,05-QĐ/TU,2025-02-01,,,",
            "C1,secretary,,E1,2025-03-01,05-QĐ/TU,,,,",
            "C1,deputy_secretary,,E2,2024-03-01,05-QĐ/TU,,,,",
        ),
        organizer,
    )
    assert not report.ok and not report.committed
    assert _errors(report) == [
        (3, "document", "planning.approval_missing"),
        (4, "position", "cadres.position_unknown"),
        (5, "term", "cadres.term_unknown"),
        (6, "member", "import.member_unknown"),
        (7, "member", "planning.age_limit"),
        (8, "removal_reason", "planning.removal_incomplete"),
        (9, "member", "import.duplicate_row"),
        (10, "added_on", "cadres.term_missing"),
    ]
    sources = {e.code: e.source for e in report.errors}
    assert sources["planning.age_limit"]
    assert not PlanningEntry.objects.exists() and not PlanningRemoval.objects.exists()


def test_a_past_entry_is_taken_over_with_the_checks_that_make_sense_for_history(
    run: Any, organizer: Any, terms: SimpleNamespace, known: SimpleNamespace
) -> None:
    # OLD is past today's age limit, and the approval is a paper the register does not hold:
    # history, as it was.
    report = run(
        _csv(
            "C1,secretary,,OLD,2025-01-10,01-QĐ/TU,2025-02-01,age_limit,,02-QĐ/TU",
            "C1,deputy_secretary,,E1,2025-01-10,,2025-02-01,review,did not meet the standards,",
        ),
        organizer,
    )
    assert report.ok and report.committed, report.as_dict()
    past = PlanningEntry.objects.select_related("removal").get(member=known.older)
    assert (past.term_id, past.document_id, past.document_text) == (
        terms.c1.pk,
        None,
        "01-QĐ/TU",
    )
    assert (past.removal.removed_on, past.removal.reason) == (D(2025, 2, 1), "age_limit")
    assert past.removal.document_text == "02-QĐ/TU"
    entry = AuditEntry.objects.get(event_type="planning.taken_over", object_id=str(past.pk))
    assert entry.after["taken_over"] is True and entry.after["removal"]["reason"] == "age_limit"
    # What holds for history holds: a member of the unit's subtree, full where the post
    # needs one, once on a list over the same days, the list's limit, a removal after the
    # entry, a note where the reason needs one.
    report = run(
        _csv(
            "C1,committee_member,PROB,2025-01-10,,2025-02-01,other,moved,",
            "C1,committee_member,,E3,2025-01-10,,2025-02-01,other,moved,",
            "C1,secretary,,OLD,2025-01-20,,2025-02-10,other,again,",
            "C1,committee_member,,E1,2025-02-10,,2025-02-01,other,moved,",
            "C1,committee_member,,E1,2025-01-10,,2025-02-01,review,,",
        ).replace("committee_member,PROB", "secretary,,PROB"),
        organizer,
    )
    assert _errors(report) == [
        (2, "member", "cadres.full_member_required"),
        (3, "member", "cadres.outside_unit"),
        (4, "member", "planning.already_planned"),
        (5, "removed_on", "planning.removed_before_added"),
        (6, "removal_note", "planning.reason_missing"),
    ]
    assert PlanningEntry.objects.count() == 2  # nothing of the refused file was written


def test_a_past_list_keeps_the_limit_per_post(
    run: Any, organizer: Any, terms: SimpleNamespace, known: SimpleNamespace, make_member: Any
) -> None:
    for n in range(4):
        m = make_member(terms.k1.unit, D(1985, 1, 1), D(2010, 1, 1), recognized=True)
        m.external_id = f"P{n}"
        m.save(update_fields=["external_id"])
    rows = [f"C1,secretary,,P{n},2025-01-1{n},,2025-03-01,other,moved," for n in range(3)]
    report = run(_csv(*rows, "C1,secretary,,P3,2025-02-15,,2025-04-01,other,moved,"), organizer)
    assert _errors(report) == [(5, "position", "planning.post_full")]
    # After the others left, the fourth fits.
    report = run(_csv(*rows, "C1,secretary,,P3,2025-03-01,,2025-04-01,other,moved,"), organizer)
    assert report.ok, report.as_dict()


def test_the_import_is_scoped_to_the_importers_manage_cadres(
    run: Any, tree: SimpleNamespace, terms: SimpleNamespace, known: SimpleNamespace
) -> None:
    user = get_user_model().objects.create_user(username="c2-organizer")
    role_grant(actor=None, user=user, role="organizer", unit=tree.C2)
    clerk = get_user_model().objects.create_user(username="c1-clerk")
    role_grant(actor=None, user=clerk, role="clerk", unit=tree.C1)
    row = "C1,secretary,,E1,2025-03-01,05-QĐ/TU,,,,"
    assert _errors(run(_csv(row), user)) == [(2, "unit_code", "import.unit_unknown")]
    assert _errors(run(_csv(row), clerk)) == [(2, "unit_code", "import.not_allowed_here")]
    assert not PlanningEntry.objects.exists()


def test_the_export_imports_back_unchanged_and_a_removal_goes_through_the_service(
    run: Any, organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, known: Any
) -> None:
    report = run(
        _csv(
            "C1,secretary,,E1,2025-03-01,05-QĐ/TU,,,,",
            "C1,deputy_secretary,,OLD,2025-01-10,01-QĐ/TU,2025-02-01,age_limit,,02-QĐ/TU",
        ),
        organizer,
    )
    assert report.ok, report.as_dict()
    text = _export(organizer)
    assert text.splitlines()[0] == HEADER
    rows = list(csv.DictReader(io.StringIO(text)))
    label = terms.c1.label
    assert [(r["position"], r["term"], r["member"], r["removal_reason"]) for r in rows] == [
        ("deputy_secretary", label, "OLD", "age_limit"),
        ("secretary", label, "E1", ""),
    ]
    assert rows[0]["removal_document"] == "02-QĐ/TU"
    again = run(text, organizer)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 2)
    removed = text.replace(
        f"C1,secretary,{label},E1,2025-03-01,05-QĐ/TU,,,,",
        f"C1,secretary,{label},E1,2025-03-01,05-QĐ/TU,2025-09-01,other,moved away,03-QĐ/TU",
    )
    assert removed != text
    report = run(removed, organizer)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1), report.as_dict()
    removal = PlanningRemoval.objects.get(entry__member=known.k1)
    assert (removal.reason, removal.note, removal.document_text) == (
        "other",
        "moved away",
        "03-QĐ/TU",
    )
    assert AuditEntry.objects.filter(event_type="planning.removed.other").exists()
    rewritten = removed.replace("2025-09-01,other", "2025-10-01,other")
    assert _errors(run(rewritten, organizer)) == [(3, "removed_on", "cadres.import_conflict")]
    # Scoped and audited: C2's organizer sees none of C1's planning.
    user = get_user_model().objects.create_user(username="c2-organizer")
    role_grant(actor=None, user=user, role="organizer", unit=tree.C2)
    assert list(csv.DictReader(io.StringIO(_export(user)))) == []
    assert AuditEntry.objects.filter(event_type="export.planning", actor=user).exists()


def test_the_command_line_and_the_template(
    tmp_path: Path, organizer: Any, terms: SimpleNamespace, known: SimpleNamespace
) -> None:
    path = tmp_path / "planning.csv"
    path.write_text(_csv("C1,secretary,,E1,2025-03-01,05-QĐ/TU,,,,"), encoding="utf-8")
    call_command("import", "planning", str(path), "--user", "organizer", stdout=io.StringIO())
    assert PlanningEntry.objects.filter(member=known.k1, position="secretary").exists()
    out = io.StringIO()
    call_command("export", "planning", "--user", "organizer", stdout=out)
    lines = out.getvalue().lstrip("\ufeff").splitlines()
    assert lines[0] == HEADER and lines[1].startswith("C1,secretary,")
    assert template_bytes("planning", "csv").decode("utf-8-sig").strip() == HEADER
