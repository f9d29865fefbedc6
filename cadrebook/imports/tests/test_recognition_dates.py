"""A members file's `recognized_on` is the date of the recognition decision — the date an
import records on the `recognized` event — not the end of probation that full membership
counts from. Importing a file again, or importing what was exported, is then a no-op for
members whose recognition was decided late."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.core.models import AuditEntry
from cadrebook.imports.exporting import export_table
from cadrebook.imports.pipeline import Report
from cadrebook.members import services as ms
from cadrebook.members.models import Member, MemberEvent, MemberPeriod

from .samples import HEAD

D = dt.date
pytestmark = pytest.mark.django_db

# Admitted 2020-01-10: probation ends 2021-01-10. One decided on time, two late.
LATE = (
    HEAD
    + "L1,Nguyễn Văn Muộn,male,1990-02-01,Kinh,001090000011,K1,full,2020-01-10,2021-01-15,\n"
    + "L2,Trần Thị Đúng,female,1991-02-01,Kinh,001091000012,K1,full,2020-01-10,2021-01-10,\n"
    + "L3,Lê Văn Chậm,male,1992-02-01,Kinh,001092000013,K2,full,2020-01-10,2021-03-02,\n"
)

Run = Callable[..., Report]


def counts() -> tuple[int, int, int, int]:
    return (
        Member.objects.count(),
        MemberEvent.objects.count(),
        MemberPeriod.objects.count(),
        AuditEntry.objects.count(),
    )


def exported_members() -> str:
    out = io.BytesIO()
    export_table(actor=None, kind="members", out=out, fmt="csv")
    return out.getvalue().decode("utf-8-sig")


def test_a_late_recognition_is_recorded_on_its_decision_date_and_counts_from_probations_end(
    run: Run, tree: SimpleNamespace
):
    assert run("members", LATE).committed
    late = Member.objects.get(external_id="L1")
    assert late.recognized_on == D(2021, 1, 10)  # full membership from the end of probation
    assert late.events.get(type="recognized").date == D(2021, 1, 15)  # the decision


def test_importing_a_file_with_late_recognitions_again_changes_nothing(
    run: Run, tree: SimpleNamespace
):
    assert run("members", LATE).committed
    before = counts()
    again = run("members", LATE)
    assert again.ok, again.errors
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert counts() == before


def test_a_file_exported_after_an_import_imports_again_as_a_no_op(run: Run, tree: SimpleNamespace):
    assert run("members", LATE).committed
    exported = exported_members()
    assert "L1," in exported and ",2021-01-15," in exported and ",2021-03-02," in exported
    before = counts()
    again = run("members", exported)
    assert again.ok, again.errors
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert counts() == before


def test_the_export_writes_the_corrected_decision_date(run: Run, tree: SimpleNamespace, actor: Any):
    assert run("members", LATE).committed
    recognition = Member.objects.get(external_id="L3").events.get(type="recognized")
    ms.member_correct_event(actor=actor, event=recognition, reason="typo", date=D(2021, 2, 1))
    exported = exported_members()
    row = next(line for line in exported.splitlines() if line.startswith("L3,"))
    assert ",2020-01-10,2021-02-01," in row
    assert run("members", exported).unchanged == 3


def test_a_different_recognition_date_is_still_refused_as_a_history_change(
    run: Run, tree: SimpleNamespace
):
    assert run("members", LATE).committed
    before = counts()
    changed = run("members", LATE.replace("2021-01-15", "2021-01-20"))
    assert not changed.ok and not changed.committed
    assert [(e.row, e.column, e.code) for e in changed.errors] == [
        (2, "recognized_on", "import.history_change")
    ]
    assert counts() == before
