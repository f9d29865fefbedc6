"""A deployment's first members import writes without the member tables' secondary indexes and
keys and rebuilds them before it commits: the tables end as they were built, a refused or dry
run leaves them untouched, and the outcome is the same as an import the usual way."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from cadrebook.core.append_only import unguarded
from cadrebook.imports import context, first_load
from cadrebook.imports.importers import members as members_importer
from cadrebook.members.models import Member, MemberEvent, MemberNameKey, MemberPeriod

from .samples import HEAD, ONE_BAD

pytestmark = pytest.mark.django_db
TABLES = [m._meta.db_table for m in (Member, MemberNameKey, MemberEvent, MemberPeriod)]

# Rows that cross chunks of two: a likely duplicate (same name and birth date, same province)
# of row 2 in row 5, a national ID of row 3 again in row 6, an external id of row 2 in row 7.
CROSSING = HEAD + (
    "B1,Nguyễn Văn An,male,1990-02-01,Kinh,001090000011,K1,full,2015-01-10,2016-01-10,01.000011\n"
    "B2,Trần Thị Bình,female,1992-03-04,Tày,001092000012,K1,full,2015-01-10,2016-01-10,\n"
    "B3,Lê Văn Cường,male,1995-03-04,Kinh,,K2,probationary,2026-01-10,,\n"
    "B4,Nguyễn Văn An,male,1990-02-01,Kinh,,K2,applicant,,,\n"
    "B5,Phạm Văn Dũng,male,1991-05-05,Kinh,001092000012,K2,applicant,,,\n"
    "B1,Nguyễn Văn Khác,male,1993-06-06,Kinh,,K2,applicant,,,\n"
    "B6,Hoàng Thị Em,female,1994-07-07,Kinh,,K1,full,2015-01-10,2016-01-10,\n"
    "B7,Vũ Văn Giang,male,1996-08-08,Kinh,,K1,full,2015-01-10,2016-01-10,\n"
)


def structures() -> dict[str, set[str]]:
    """Every index and constraint of the member tables, by table."""
    with connection.cursor() as cursor:
        return {t: set(connection.introspection.get_constraints(cursor, t).keys()) for t in TABLES}


@pytest.fixture
def spy(monkeypatch: Any) -> list[list[str]]:
    """The statements each first load will run to rebuild what it dropped."""
    calls: list[list[str]] = []
    original = first_load.drop_secondary_structures

    def record(cursor: Any, tables: list[str]) -> list[str]:
        restore = original(cursor, tables)
        calls.append(restore)
        return restore

    monkeypatch.setattr(first_load, "drop_secondary_structures", record)
    return calls


@pytest.fixture
def small_chunks(monkeypatch: Any) -> None:
    monkeypatch.setattr(members_importer, "chunked", lambda items: context.chunked(items, 2))


def test_a_first_load_rebuilds_every_index_and_key_it_dropped(run, tree, spy):
    before = structures()
    report = run("members", CROSSING, valid_rows_only=True)
    assert report.committed and report.created == 6 and report.refused_rows == {6, 7}
    assert spy and spy[0]  # it did drop something, and put it back:
    assert structures() == before
    # A second file finds members there and goes the usual way.
    assert run("members", HEAD + "C1,Ngô Văn Hải,male,1990-01-01,Kinh,,K1,applicant,,,\n").ok
    assert len(spy) == 1


@pytest.mark.parametrize("how", ["refused", "dry_run"])
def test_a_first_load_that_does_not_commit_leaves_the_tables_as_they_were(run, tree, spy, how):
    before = structures()
    if how == "refused":
        report = run("members", ONE_BAD)
        assert not report.ok
    else:
        report = run("members", CROSSING, dry_run=True, valid_rows_only=True)
        assert report.created == 6
    assert spy and not report.committed
    assert structures() == before and not Member.objects.exists()


def _outcome(report: Any) -> tuple[Any, ...]:
    issues = sorted((i.row, i.column, i.code) for i in report.errors + report.warnings)
    rows = sorted(Member.objects.values_list("external_id", "status", "unit__code", "national_id"))
    return report.created, issues, rows, MemberEvent.objects.count(), MemberPeriod.objects.count()


def test_a_first_load_reports_and_writes_what_the_usual_way_does(run, tree, settings, small_chunks):
    """Across chunks, with rows refused (valid rows only) and warned."""
    first = run("members", CROSSING, valid_rows_only=True)
    assert first.committed
    first_outcome = _outcome(first)
    with unguarded(), connection.cursor() as cursor:  # events are append-only in the database
        for table in reversed(TABLES):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
    settings.CADREBOOK_IMPORT_FIRST_LOAD = False
    usual = run("members", CROSSING, valid_rows_only=True)
    assert _outcome(usual) == first_outcome
    codes = {code for _row, _column, code in first_outcome[1]}
    assert codes == {
        "import.duplicate_row",
        "member.national_id_taken",
        "import.likely_duplicate",
        "organization.cell_below_minimum",  # K2 ends with no full member
    }
