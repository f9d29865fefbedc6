"""The counts of an import's report add up: every row read is created, updated, unchanged or
refused — in a dry run, a refused run, a real run and with --valid-rows-only (issue 14: a
refused dry run of 3 rows reported 1 refused, 1 updated and nothing for the third)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from cadrebook.members.models import Member

from .conftest import assert_accounted
from .samples import APPL, FULL, HEAD, PROB, TOO_YOUNG

pytestmark = pytest.mark.django_db

CHANGED = PROB.replace("Trần Thị Bình", "Trần Thị Bình An")
NEW = "A7,Đỗ Văn Mới,male,1991-07-07,Kinh,,K2,applicant,,,\n"
# The refused row first: after it an all-or-nothing import only checks the others.
MIXED = HEAD + TOO_YOUNG + CHANGED + NEW + APPL  # refused, changed, new, unchanged


@pytest.fixture
def recorded(run, tree):
    report = run("members", HEAD + FULL + PROB + APPL)
    assert report.committed


def counts(report):
    return (
        report.rows_read,
        report.created,
        report.updated,
        report.unchanged,
        len(report.refused_rows),
    )


@pytest.mark.parametrize(
    "options",
    [{"dry_run": True}, {}, {"valid_rows_only": True}, {"dry_run": True, "valid_rows_only": True}],
    ids=["dry run", "real run", "valid rows only", "dry run of valid rows only"],
)
def test_every_row_of_a_members_file_is_counted_once(run, recorded, options):
    report = run("members", MIXED, **options)
    assert counts(report) == (4, 1, 1, 1, 1), report.as_dict()
    shown = report.as_dict()
    assert shown["rows_read"] == (
        shown["created"] + shown["updated"] + shown["unchanged"] + shown["rows_refused"]
    )
    kept = report.committed
    assert kept == (options == {"valid_rows_only": True})
    assert Member.objects.filter(external_id="A7").exists() == kept


def test_the_command_line_prints_counts_that_add_up(recorded, write_file):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "members", write_file(MIXED), "--dry-run", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["rows_read"], data["created"], data["updated"], data["unchanged"]) == (4, 1, 1, 1)
    assert data["rows_refused"] == 1


def test_an_unchanged_event_refused_with_its_members_other_rows_is_counted_refused(run, tree):
    run("members", HEAD + APPL, personal_only=True)  # A3, without a history
    registered = "external_id,type,date,unit_code\nA3,registered,2019-01-01,K2\n"
    assert run("events", registered).committed
    events = registered + "A3,exempted,2030-01-01,\n"  # in the future: refused, and row 2 with it
    report = run("events", events)
    assert sorted((e.row, e.code) for e in report.errors) == [
        (2, "import.member_refused"),
        (3, "event.in_future"),
    ]
    assert report.unchanged == 0 and report.rows_read == 2
    assert_accounted(report)


def test_a_unit_whose_dissolution_is_refused_is_counted_refused(run, tree, make_member):
    # A cell with an active member cannot be dissolved.
    make_member(tree.K1, dt.date(1990, 1, 1), dt.date(2020, 1, 10))
    report = run(
        "units",
        "code,name,kind,parent_code,dissolved_on\nK1,Unit K1,cell,G1,2024-01-01\n",
        valid_rows_only=True,
    )
    assert report.refused_rows == {2}
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
