"""Importing and exporting ratings: the checks of `rating_record` row by row (score, level,
legacy labels mapped and kept, a member on 31 December, a round's rating not rewritten), all or
nothing with a row-exact report, idempotent, scoped to the importer; the export imports back
unchanged."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.evaluations.figures import level_counts
from cadrebook.evaluations.models import Rating, RatingTally
from cadrebook.evaluations.tally import tally_refresh
from cadrebook.imports.exporting import export_table
from cadrebook.members.models import Member

D = dt.date
BIRTH = D(1985, 3, 1)
HEADER = "subject_kind,subject,year,level,score,document,label\n"


@pytest.fixture
def people(tree: SimpleNamespace, make_member: Any) -> SimpleNamespace:
    a = make_member(tree.K1, BIRTH, D(2010, 1, 1), recognized=True)
    b = make_member(tree.K2, BIRTH, D(2010, 1, 1), recognized=True)
    late = make_member(tree.K1, BIRTH, D(2020, 6, 1), recognized=True)
    far = make_member(tree.GC, BIRTH, D(2010, 1, 1), recognized=True)
    # The identifiers of the source system, as a members import leaves them.
    for member, external in ((a, "A-1"), (b, "B-2"), (late, "L-3"), (far, "F-4")):
        Member.objects.filter(pk=member.pk).update(external_id=external)
    return SimpleNamespace(a=a, b=b, late=late, far=far, tree=tree)


def _text(*rows: str) -> str:
    return HEADER + "".join(r + "\n" for r in rows)


GOOD = _text(
    "member,A-1,2024,good,85,12-QĐ/ĐU,",
    "member,B-2,2016,,,,DTC_HTXS",
    "unit,K1,2016,,,,TSVM",
    "unit,G1,2024,completed,62.5,,",
)


def test_ratings_come_in_with_legacy_labels_kept_and_mapped(run, people):
    report = run("ratings", GOOD)
    assert report.ok and report.created == 4, report.as_dict()
    a = Rating.objects.get(member=people.a, year=2024)
    assert (a.level, a.score, a.document_text, a.source) == (
        "good",
        Decimal("85"),
        "12-QĐ/ĐU",
        "import",
    )
    assert a.rated_in_id == people.tree.K1.pk and a.quota_unit_id == people.tree.G1.pk
    assert a.anc1_id == people.tree.P.pk
    legacy = Rating.objects.get(member=people.b, year=2016)
    assert (legacy.level, legacy.label) == ("excellent", "DTC_HTXS")
    unit = Rating.objects.get(unit=people.tree.K1, year=2016)
    assert (unit.level, unit.label, unit.rated_in_id) == ("excellent", "TSVM", people.tree.K1.pk)


def test_re_importing_the_same_file_changes_nothing_and_a_change_replaces(run, people):
    run("ratings", GOOD)
    ids = set(Rating.objects.values_list("id", flat=True))
    again = run("ratings", GOOD)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 4)
    changed = run("ratings", GOOD.replace("good,85", "completed,60"))
    assert changed.ok and (changed.updated, changed.unchanged) == (1, 3)
    assert set(Rating.objects.values_list("id", flat=True)) == ids
    assert Rating.objects.get(member=people.a, year=2024).level == "completed"


def test_a_changed_rating_keeps_what_it_said_before_in_the_audit_log(run, people):
    run("ratings", GOOD)
    rating = Rating.objects.get(member=people.a, year=2024)
    run("ratings", GOOD.replace("good,85,12-QĐ/ĐU", "completed,60,14-QĐ/ĐU"))
    entries = AuditEntry.objects.filter(
        object_type="evaluations.rating", object_id=str(rating.pk), action="update"
    )
    assert entries.count() == 1
    entry = entries.get()
    assert (entry.before["level"], entry.before["score"], entry.before["document_text"]) == (
        "good",
        "85.00",
        "12-QĐ/ĐU",
    )
    assert (entry.after["level"], entry.after["score"], entry.after["document_text"]) == (
        "completed",
        "60.00",
        "14-QĐ/ĐU",
    )
    assert entry.unit_path == people.tree.K1.path
    # An unchanged re-import writes no entry for the ratings.
    run("ratings", GOOD.replace("good,85,12-QĐ/ĐU", "completed,60,14-QĐ/ĐU"))
    assert entries.count() == 1


def test_the_level_counts_follow_an_import_and_its_changes(run, people):
    """The counts read the tally, which each batch keeps: the same as counting the ratings."""
    tree = people.tree

    def counted() -> dict[str, int]:
        members = level_counts(tree.P, 2024)["members"]
        return {level: members[level] for level in ("excellent", "good", "completed")}

    run("ratings", GOOD)
    assert counted() == {"excellent": 0, "good": 1, "completed": 0}
    run("ratings", GOOD.replace("good,85", "completed,60"))
    assert counted() == {"excellent": 0, "good": 0, "completed": 1}

    def tally() -> set[tuple[Any, ...]]:  # a count gone to 0 may stay as a row
        rows = RatingTally.objects.exclude(n=0)
        return set(rows.values_list("unit_id", "year", "key", "level", "n"))

    stored = tally()
    tally_refresh(2024)
    tally_refresh(2016)
    assert tally() == stored


def test_bad_rows_are_refused_row_exactly_and_nothing_is_written(run, people):
    bad = _text(
        "member,A-1,2024,good,101,,",  # 2: score off the scale
        "member,A-1,2023,excellent,95,,",  # 3: fine
        "member,B-2,2016,good,,,DTC_HTXS",  # 4: the label maps to excellent
        "unit,K1,2016,,,,XYZ",  # 5: not a label of the rule set
        "member,L-3,2015,good,,,",  # 6: not a member then
        "member,NOPE,2024,good,,,",  # 7: unknown member
        "member,A-1,2023,good,80,,",  # 8: the same subject and year as row 3
        "person,A-1,2024,good,,,",  # 9: subject_kind
        "member,A-1,2022,best,,,",  # 10: not a level
        "member,A-1,2021,excellent,70,,",  # 11: above the level its score earns
        "member,A-1,2020,completed,85,,",  # 12: fine: below it (a cap may explain it)
        "unit,G1,2014,,40,,TSVM",  # 13: fine: a legacy label keeps its level
    )
    report = run("ratings", bad)
    assert not report.ok and not report.committed
    found = {(e.row, e.column, e.code) for e in report.errors}
    assert found == {
        (2, "score", "evaluation.score_out_of_range"),
        (4, "level", "evaluation.label_contradicts_level"),
        (5, "label", "evaluation.label_unknown"),
        (6, "subject", "evaluation.not_a_member_then"),
        (7, "subject", "import.member_unknown"),
        (8, "subject", "import.duplicate_row"),
        (9, "subject_kind", "value.invalid"),
        (10, "level", "evaluation.level_unknown"),
        (11, "level", "evaluation.level_contradicts_score"),
    }, found
    [contradiction] = [e for e in report.errors if e.row == 11]
    assert contradiction.source  # the rule's source, as the proposal's refusal
    assert {e.source for e in report.errors if e.code == "evaluation.label_unknown"} != {""}
    assert Rating.objects.count() == 0
    dry = run("ratings", GOOD, dry_run=True)
    assert dry.ok and dry.created == 4 and Rating.objects.count() == 0


def test_the_importers_scope_decides_what_it_may_rate(run, people):
    user = get_user_model().objects.create_user(username="c2-organizer")
    role_grant(actor=None, user=user, role="organizer", unit=people.tree.C2)
    report = run(
        "ratings", _text("member,F-4,2024,good,80,,", "member,A-1,2024,good,80,,"), actor=user
    )
    assert {(e.row, e.code) for e in report.errors} == {(3, "import.member_unknown")}
    clerk = get_user_model().objects.create_user(username="k1-clerk")
    role_grant(actor=None, user=clerk, role="clerk", unit=people.tree.K1)
    report = run("ratings", _text("member,A-1,2024,good,80,,"), actor=clerk)
    assert {(e.row, e.code) for e in report.errors} == {(2, "import.not_allowed_here")}
    assert Rating.objects.count() == 0


def test_the_export_imports_back_unchanged(run, people):
    run("ratings", GOOD)
    out = io.BytesIO()
    assert export_table(actor=None, kind="ratings", out=out, fmt="csv") == 4
    text = out.getvalue().decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER.strip()
    again = run("ratings", text)
    assert again.ok and again.unchanged == 4, again.as_dict()
    xlsx = io.BytesIO()
    export_table(actor=None, kind="ratings", out=xlsx, fmt="xlsx")
    assert xlsx.getvalue()[:2] == b"PK"


def test_batches_look_up_recorded_ratings_only_for_years_that_had_them(run, people, monkeypatch):
    """A year with no ratings before the import (a round's first load) skips the look-up of
    recorded ratings; a year that had some still finds them, in any batch, and the file's own
    repeated rows are refused whichever batch they fall in."""
    from cadrebook.imports import context
    from cadrebook.imports.importers import ratings as importer

    monkeypatch.setattr(importer, "chunked", lambda items: context.chunked(items, 2))
    assert run("ratings", _text("member,A-1,2023,good,80,,")).ok
    report = run(
        "ratings",
        _text(
            "member,A-1,2024,good,85,,",  # batch 1: 2024 had nothing
            "member,B-2,2024,completed,60,,",
            "member,A-1,2023,good,80,,",  # batch 2: 2023 had this one, unchanged
            "member,A-1,2024,excellent,95,,",  # the same subject and year as row 2
        ),
    )
    assert not report.ok
    assert {(e.row, e.code) for e in report.errors} == {(5, "import.duplicate_row")}
    assert report.unchanged == 1
    report = run(
        "ratings",
        _text(
            "member,A-1,2024,good,85,,",
            "member,B-2,2024,completed,60,,",
            "member,A-1,2023,completed,60,,",  # batch 2: a recorded rating, replaced
        ),
    )
    assert report.ok and (report.created, report.updated) == (2, 1), report.as_dict()
    assert Rating.objects.get(member=people.a, year=2023).level == "completed"
    assert Rating.objects.filter(year=2024).count() == 2


def test_the_first_ratings_load_rebuilds_the_table_as_it_was(run, people):
    """Into an empty ratings table the import writes without its indexes and keys and puts
    them back before it commits; a refused first load leaves them as they were too."""
    from django.db import connection

    def structures() -> set[str]:
        with connection.cursor() as cursor:
            return set(connection.introspection.get_constraints(cursor, Rating._meta.db_table))

    before = structures()
    assert not run("ratings", _text("member,A-1,2024,good,101,,")).ok
    assert structures() == before and not Rating.objects.exists()
    report = run("ratings", GOOD)
    assert report.ok and report.committed and report.created == 4
    assert structures() == before
    assert level_counts(people.tree.P, 2024)["members"]["good"] == 1


@pytest.mark.parametrize("years", [("2019", "2019", "2019"), ("2024", "2023", "2019")])
def test_members_and_their_cells_are_found_by_either_identifier_in_any_year(run, people, years):
    """Members named by their external id or as exported (`cadrebook:<id>`), in a file of
    one year or of several: rated in their cell of the year, refused when not yet members."""
    a, b, late = years
    rows = (f"member,A-1,{a},good,85,,", f"member,cadrebook:{people.b.pk},{b},completed,60,,")
    report = run("ratings", _text(*rows, f"member,L-3,{late},good,80,,"))  # a member from 2020
    assert [(e.row, e.code) for e in report.errors] == [(4, "evaluation.not_a_member_then")]
    report = run("ratings", _text(*rows))
    assert report.ok and report.created == 2, report.as_dict()
    rated = dict(Rating.objects.values_list("member_id", "rated_in_id"))
    assert rated == {people.a.pk: people.tree.K1.pk, people.b.pk: people.tree.K2.pk}


def test_a_row_without_level_or_label_says_the_level_is_missing(run, people):
    """An empty level cell is named as missing (not as an empty "is not a level"), with the
    levels to write and the legacy labels as the alternative; nothing is written."""
    report = run("ratings", _text("member,A-1,2024,,80,,", "member,B-2,2024,good,80,,"))
    assert not report.ok and Rating.objects.count() == 0
    [error] = report.errors
    assert (error.row, error.column, error.code) == (2, "level", "evaluation.level_missing")
    assert error.message.startswith("Write the level")
    assert "excellent, good, completed, not_completed" in error.message


def test_a_score_with_more_than_two_decimals_is_refused_not_rounded(run, people):
    """89.999 earns "good"; rounded to 90.00 it would pass as "excellent" (and be stored so)."""
    report = run("ratings", _text("member,A-1,2024,excellent,89.999,,"))
    assert not report.ok and Rating.objects.count() == 0
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (2, "score", "evaluation.score_decimals")
    }
    assert run("ratings", _text("member,A-1,2024,good,89.99,,")).ok
