"""`cadrebook import appointments` and `cadrebook export appointments`: posts held now go
through the services with every check; past posts taken over from the old files with the
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
from cadrebook.cadres.models import PostEnd, PostHolding
from cadrebook.cadres.services import post_elect
from cadrebook.core.models import AuditEntry
from cadrebook.imports.context import Report
from cadrebook.imports.exporting import export_table
from cadrebook.imports.pipeline import run_import

D = dt.date
HEADER = (
    "unit_code,position,member,how,started_on,planned_end,ended_on,end_reason,document,"
    "votes_for,votes_cast"
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
        path = tmp_path / "appointments.csv"
        path.write_text(text, encoding="utf-8")
        report = run_import(actor=actor, kind="appointments", path=str(path))
        counted = report.created + report.updated + report.unchanged + len(report.refused_rows)
        assert report.file_error is not None or counted == report.rows_read, report.as_dict()
        return report

    return go


def _csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def _export(actor: Any, **kw: Any) -> str:
    out = io.BytesIO()
    export_table(actor=actor, kind="appointments", out=out, **kw)
    return out.getvalue().decode("utf-8-sig")


def _errors(report: Report) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.code) for e in report.errors]


def test_posts_held_now_go_through_the_services(
    run: Any, organizer: Any, terms: SimpleNamespace, known: SimpleNamespace
) -> None:
    report = run(
        _csv(
            "C1,secretary,E1,elected,2025-01-01,,,,,7,9",
            "C1,inspection_chair,E2,appointed,2025-03-10,,,,,,",
        ),
        organizer,
    )
    assert report.ok and report.committed, report.as_dict()
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    secretary = PostHolding.objects.get(position="secretary")
    assert (secretary.how, secretary.term_id, secretary.votes_for) == ("elected", terms.c1.pk, 7)
    chair = PostHolding.objects.get(position="inspection_chair")
    assert chair.planned_end == D(2030, 3, 10)  # the rule set's 60 months
    events = set(AuditEntry.objects.values_list("event_type", flat=True))
    assert {"post.elected", "post.appointed"} <= events


def test_bad_rows_are_refused_with_row_and_column_and_nothing_is_written(
    run: Any, organizer: Any, terms: SimpleNamespace, known: SimpleNamespace
) -> None:
    report = run(
        _csv(
            "C1,secretary,E1,elected,2025-01-01,,,,,7,9",
            "C1,chief,E2,appointed,2025-03-10,,,,,,",
            "C1,inspection_chair,NOBODY,appointed,2025-03-10,,,,,,",
            "C1,committee_member,PROB,appointed,2025-03-10,,,,,,",
            "C1,deputy_secretary,E2,elected,2025-01-01,,,,,5,10",
            "C1,committee_member,OLD,appointed,2025-03-10,,,,,,",
            "C1,deputy_secretary,E3,appointed,2025-03-10,,2025-02-01,,,,",
        ),
        organizer,
    )
    assert not report.ok and not report.committed
    assert _errors(report) == [
        (3, "position", "cadres.position_unknown"),
        (4, "member", "import.member_unknown"),
        (5, "member", "cadres.full_member_required"),
        (6, "votes_for", "cadres.not_elected"),
        (7, "member", "cadres.too_close_to_retirement"),
        (8, "end_reason", "cadres.end_incomplete"),
    ]
    sources = {e.code: e.source for e in report.errors}
    assert "Party Statute" in sources["cadres.full_member_required"]
    assert "377-QĐ/TW" in sources["cadres.too_close_to_retirement"]
    assert not PostHolding.objects.exists() and not PostEnd.objects.exists()


def test_a_past_post_is_taken_over_with_the_checks_that_make_sense_for_history(
    run: Any, organizer: Any, known: SimpleNamespace
) -> None:
    # No committee term of 2015 in the register, no votes in the old file, a first
    # appointment that today's working-life rule would refuse: history, as it was.
    report = run(
        _csv(
            "C1,secretary,E1,elected,2015-10-01,,2020-06-30,end_of_term,12-NQ/ĐH,,",
            "C1,inspection_chair,OLD,appointed,2022-06-01,2027-06-01,2024-01-01,retired,,,",
        ),
        organizer,
    )
    assert report.ok and report.committed, report.as_dict()
    past = PostHolding.objects.select_related("end").get(position="secretary")
    assert (past.term_id, past.votes_for, past.document_id) == (None, None, None)
    assert past.document_text == "12-NQ/ĐH"  # kept as written: not in the register
    assert (past.end.ended_on, past.end.reason) == (D(2020, 6, 30), "end_of_term")
    entry = AuditEntry.objects.get(event_type="post.taken_over", object_id=str(past.pk))
    assert entry.after["taken_over"] is True and entry.after["end"]["reason"] == "end_of_term"
    # The checks that hold for history hold: a member on the day, a full member where the
    # post needs one, one secretary at a time, the end after the start.
    report = run(
        _csv(
            "C1,secretary,E2,elected,2018-01-01,,2019-06-30,resigned,,,",
            "C1,committee_member,PROB,appointed,2025-01-01,,2025-06-30,resigned,,,",
            "C1,committee_member,E3,appointed,2025-01-01,,2025-06-30,resigned,,,",
            "C1,committee_member,E2,appointed,2025-01-01,,2024-06-30,resigned,,,",
            "C1,committee_member,E2,elected,2024-01-01,,2024-06-30,resigned,,9,10",
            "C1,committee_member,E2,elected,2024-01-01,,2024-06-30,resigned,,4,10",
        ),
        organizer,
    )
    assert _errors(report) == [
        (2, "position", "cadres.seats_full"),
        (3, "member", "cadres.full_member_required"),
        (4, "member", "cadres.outside_unit"),
        (5, "ended_on", "cadres.end_before_start"),
        (7, "member", "import.duplicate_row"),
    ]
    assert PostHolding.objects.count() == 2  # nothing of the refused file was written


def test_a_later_holder_does_not_fill_a_past_seat(
    run: Any, organizer: Any, terms: SimpleNamespace, known: SimpleNamespace
) -> None:
    post_elect(
        actor=organizer,
        member=known.k1,
        unit=terms.c1.unit,
        position="secretary",
        term=terms.c1,
        started_on=D(2025, 1, 1),
        votes_for=7,
        votes_total=9,
    )
    report = run(_csv("C1,secretary,E2,elected,2019-01-01,,2024-12-31,end_of_term,,,"), organizer)
    assert report.ok, report.as_dict()


def test_the_import_is_scoped_to_the_importers_manage_cadres(
    run: Any, tree: SimpleNamespace, terms: SimpleNamespace, known: SimpleNamespace
) -> None:
    user = get_user_model().objects.create_user(username="c2-organizer")
    role_grant(actor=None, user=user, role="organizer", unit=tree.C2)
    clerk = get_user_model().objects.create_user(username="c1-clerk")
    role_grant(actor=None, user=clerk, role="clerk", unit=tree.C1)
    row = "C1,secretary,E1,elected,2025-01-01,,,,,7,9"
    assert _errors(run(_csv(row), user)) == [(2, "unit_code", "import.unit_unknown")]
    # The clerk sees C1 but does not manage its cadres: said as it is.
    assert _errors(run(_csv(row), clerk)) == [(2, "unit_code", "import.not_allowed_here")]
    # A member outside the importer's part of the organization is unknown to it.
    row = "C2,secretary,E1,appointed,2025-01-01,,,,,,"
    assert _errors(run(_csv(row), user)) == [(2, "member", "import.member_unknown")]
    assert not PostHolding.objects.exists()


def test_the_export_has_the_contracts_columns_and_imports_back_unchanged(
    run: Any, organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, known: Any
) -> None:
    report = run(
        _csv(
            "C1,secretary,E1,elected,2025-01-01,,,,,7,9",
            "C1,inspection_chair,OLD,appointed,2022-06-01,2027-06-01,2024-01-01,retired,,,",
            "GC,secretary,E3,appointed,2025-02-01,,,,,,",
        ),
        organizer,
    )
    assert report.ok, report.as_dict()
    text = _export(organizer)
    assert text.splitlines()[0] == HEADER
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["unit_code"], r["position"], r["member"]) for r in rows] == [
        ("C1", "inspection_chair", "OLD"),
        ("C1", "secretary", "E1"),
        ("GC", "secretary", "E3"),
    ]
    assert rows[1]["votes_for"] == "7" and rows[1]["votes_cast"] == "9"
    assert (rows[0]["ended_on"], rows[0]["end_reason"]) == ("2024-01-01", "retired")
    again = run(text, organizer)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 3)
    # A running post the file says ended is ended through the service; a post recorded
    # otherwise is refused, not rewritten.
    ended = text.replace(
        "C1,secretary,E1,elected,2025-01-01,2030-01-01,,,,7,9",
        "C1,secretary,E1,elected,2025-01-01,2030-01-01,2026-03-31,resigned,,7,9",
    )
    assert ended != text
    report = run(ended, organizer)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2), report.as_dict()
    assert PostEnd.objects.get(holding__member=known.k1).reason == "resigned"
    assert AuditEntry.objects.filter(event_type="post.ended.resigned").exists()
    rewritten = ended.replace(",7,9", ",8,9")
    assert _errors(run(rewritten, organizer)) == [(3, "votes_for", "cadres.import_conflict")]
    # Scoped and audited: C2's organizer exports C2's posts alone.
    user = get_user_model().objects.create_user(username="c2-organizer")
    role_grant(actor=None, user=user, role="organizer", unit=tree.C2)
    rows = list(csv.DictReader(io.StringIO(_export(user))))
    assert [r["unit_code"] for r in rows] == ["GC"]
    assert AuditEntry.objects.filter(event_type="export.appointments", actor=user).exists()


def test_the_command_line_imports_and_exports_appointments(
    tmp_path: Path, organizer: Any, terms: SimpleNamespace, known: SimpleNamespace
) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(_csv("C1,secretary,E1,elected,2025-01-01,,,,,7,9"), encoding="utf-8")
    call_command("import", "appointments", str(path), "--user", "organizer", stdout=io.StringIO())
    assert PostHolding.objects.filter(member=known.k1, position="secretary").exists()
    out = io.StringIO()
    call_command("export", "appointments", "--user", "organizer", stdout=out)
    lines = out.getvalue().lstrip("\ufeff").splitlines()
    assert lines[0] == HEADER and lines[1].startswith("C1,secretary,E1,elected,2025-01-01,")
