"""A large ratings file read in a second process (`imports.apart`): the same report, row for
row, as when it is read in the importer's process, in the import's language; a file refused
while read, an error or the end of the child, and a cancel, all end the import (nothing
hangs) and leave no child behind. Every test of the ratings import runs here again with the
file read apart (`APART_BYTES` 0: any file is "large")."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from cadrebook.evaluations.models import Rating
from cadrebook.imports import apart
from cadrebook.imports.context import Cancelled
from cadrebook.imports.importers import ratings as importer
from cadrebook.imports.pipeline import run_import
from cadrebook.imports.tests import test_import_ratings

# The ratings import's tests, collected here too (with their `people`), run apart.
people = test_import_ratings.people
globals().update(
    {name: test for name, test in vars(test_import_ratings).items() if name.startswith("test_")}
)

HEADER = test_import_ratings.HEADER
read_rows = importer.RatingsImporter.read_rows
ROWS = [
    "member,A-1,2024,good,85,12-QĐ/ĐU,",
    "member,B-2,2016,,,,DTC_HTXS",
    "member,A-1,2024,good,85,,",  # the same subject and year as row 2
    "member,NOBODY,2024,good,85,,",
    "member,A-1,year,good,85,,",  # not a year
    "member,B-2,2024,good,85,,,surplus",  # more cells than columns
    "member,B-2,2023,legendary,,,",  # no such level
    "member,B-2,2022,,,,NOT_A_LABEL",
    "person,B-2,2024,good,,,",  # no such kind
    "unit,K1,2016,,,,TSVM",
    "unit,NOWHERE,2024,completed,,,",
    "member,L-3,2019,good,80,,",  # not a member on 31 December 2019
    "member,B-2,2021,good,101,,",  # off the scale
    "member,B-2,2020,excellent,70,,",  # above what the score earns
]


@pytest.fixture(autouse=True)
def read_apart(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every file is read apart; the list counts the imports that were."""
    monkeypatch.setattr(apart, "APART_BYTES", 0)
    calls: list[int] = []
    chunks_apart = apart.chunks_apart

    def counted(*args: Any) -> Any:
        calls.append(1)
        return chunks_apart(*args)

    monkeypatch.setattr(importer, "chunks_apart", counted)
    yield calls
    assert calls, "the file was read in the importer's process"
    assert not multiprocessing.active_children(), "a child was left behind"


def _report(path: str, **options: Any) -> dict[str, Any]:
    report = run_import(actor=None, kind="ratings", path=path, dry_run=True, **options)
    out = report.as_dict(max_issues=1000)
    out.pop("seconds")
    out["in_order"] = [issue.as_dict() for issue in report.errors]
    return out


def _both(path: str, monkeypatch: pytest.MonkeyPatch, read_apart: list[int]) -> tuple[Any, Any]:
    """The report of the file read apart, and read in the importer's process."""
    seen = _report(path)
    assert read_apart
    with monkeypatch.context() as patch:
        patch.setattr(apart, "APART_BYTES", 10**12)
        here = _report(path)
    assert len(read_apart) == 1
    return seen, here


@pytest.mark.parametrize("size", [2, 3, 5000])
def test_the_report_is_the_same_row_for_row(people, write_file, monkeypatch, read_apart, size):
    """Refusals of the cells (the child's), of the rule set and of the records (the
    importer's), in chunks of any size: the same issues, in the same order."""
    from cadrebook.imports import context

    monkeypatch.setattr(importer, "chunked", lambda items: context.chunked(items, size))
    path = write_file(HEADER + "".join(r + "\n" for r in ROWS))
    seen, here = _both(path, monkeypatch, read_apart)
    assert seen == here
    assert seen["rows_read"] == len(ROWS) and not seen["ok"], seen
    assert [(e["row"], e["code"]) for e in seen["errors"]] == [
        (4, "import.duplicate_row"),
        (5, "import.member_unknown"),
        (6, "value.not_integer"),  # the child's
        (7, "row.extra_cells"),  # the child's
        (8, "evaluation.level_unknown"),
        (9, "evaluation.label_unknown"),
        (10, "value.invalid"),  # the child's
        (12, "import.unit_unknown"),
        (13, "evaluation.not_a_member_then"),
        (14, "evaluation.score_out_of_range"),
        (15, "evaluation.level_contradicts_score"),
    ]


def test_the_child_speaks_the_import_language(people, write_file, monkeypatch, read_apart):
    path = write_file(HEADER + "".join(r + "\n" for r in ROWS))
    with translation.override("vi"):
        seen, here = _both(path, monkeypatch, read_apart)
    assert seen == here
    with translation.override("en"):
        in_english = _report(path)
    # The child's refusals (a cell's) as the importer's, in Vietnamese.
    child = {"row.extra_cells", "value.invalid"}
    assert all(
        said["message"] != english["message"]
        for said, english in zip(seen["in_order"], in_english["in_order"], strict=True)
        if said["code"] in child
    )


def test_a_file_refused_while_read_is_refused_the_same(people, write_file, monkeypatch, read_apart):
    rows = [f"member,A-1,{2000 + k},good,85,," for k in range(10)]
    rows.insert(6, "member,B-2,2024,=1+1,85,,")  # a formula, further down the file
    path = write_file(HEADER + "".join(r + "\n" for r in rows))
    from cadrebook.imports import context

    monkeypatch.setattr(importer, "chunked", lambda items: context.chunked(items, 2))
    seen, here = _both(path, monkeypatch, read_apart)
    assert seen == here
    assert seen["file_error"] is not None and seen["rows_read"] > 0, seen


def test_an_error_of_the_child_is_the_import_error(people, write_file, monkeypatch):
    def broken(self: Any, ctx: Any, table: Any) -> Any:
        yield from read_rows(self, ctx, table)
        raise LookupError("the child broke")

    monkeypatch.setattr(importer.RatingsImporter, "read_rows", broken)
    path = write_file(HEADER + "member,A-1,2024,good,85,,\n")
    with pytest.raises(LookupError, match="the child broke") as caught:
        run_import(actor=None, kind="ratings", path=path)
    assert isinstance(caught.value.__cause__, apart.ChildFailed)
    assert "the child broke" in str(caught.value.__cause__)  # its traceback
    assert not Rating.objects.exists()


def test_a_child_that_dies_ends_the_import(people, write_file, monkeypatch):
    def dying(self: Any, ctx: Any, table: Any) -> Any:
        os._exit(3)
        yield  # pragma: no cover

    monkeypatch.setattr(importer.RatingsImporter, "read_rows", dying)
    path = write_file(HEADER + "member,A-1,2024,good,85,,\n")
    with pytest.raises(apart.ChildFailed, match="exit code 3"):
        run_import(actor=None, kind="ratings", path=path)


def test_a_cancel_stops_the_child(people, write_file, monkeypatch):
    """Cancelled while the importer waits for a chunk the child is slow to read."""

    def slow(self: Any, ctx: Any, table: Any) -> Any:
        yield from read_rows(self, ctx, table)
        os.kill(os.getpid(), signal.SIGSTOP)  # stopped until killed: it never ends by itself

    monkeypatch.setattr(importer.RatingsImporter, "read_rows", slow)
    monkeypatch.setattr(apart, "WAIT_SECONDS", 0.05)
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 3

    path = write_file(HEADER + "member,A-1,2024,good,85,,\n")
    with pytest.raises(Cancelled):
        run_import(actor=None, kind="ratings", path=path, is_cancelled=cancelled)
    assert not Rating.objects.exists()
