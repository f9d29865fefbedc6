"""The fast path of a ratings row (`rating_values`) reads every row exactly as the schema
(`RatingRow`) does — the same values, the same defaults — and leaves to the schema every row
the schema refuses, so that the report names the same cells with the same codes and messages."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from cadrebook.imports.schemas import RatingRow, RatingValues, rating_values

CELLS: dict[str, list[Any]] = {
    "subject_kind": ["member", "Unit", " MEMBER ", "x", "", None, 3],
    "subject": ["A-1", "", " B-2 ", "a b", "١٢٣", "1٢3", 1234, 1234.0, None, "x" * 65],
    "year": ["2024", "", "20x", " 2025 ", 2024, 2024.0, 2024.5, True, "٢٠٢٤", None, "-5"],
    "level": ["good", "Not Completed", "", None, "excellent ", 5],
    "score": ["85", "62,5", "", " ", "abc", "NaN", "Infinity", None, 85, 85.5, True, "1e5", "-0"],
    "document": ["12-QĐ/ĐU", "x" * 65, "", None, "'=1", "a\x07b", 12],
    "label": ["", "TSVM", None, "HTXS", "y" * 70],
}


def _schema(raw: dict[str, Any]) -> RatingValues | None:
    try:
        row = RatingRow(**raw)
    except ValidationError:
        return None
    return RatingValues(**row.model_dump())


def test_every_cell_reads_as_the_schema_reads_it():
    rng = random.Random(18)
    names = list(CELLS)
    rows = [dict(zip(names, values, strict=True)) for values in itertools.product(*CELLS.values())]
    sample = rng.sample(rows, 4000)
    # Optional columns left out, required ones missing, a column the schema does not know.
    for raw in sample[:600]:
        for drop in rng.sample(names, 2):
            raw.pop(drop)
    for raw in sample[600:700]:
        raw["unknown"] = "1"
    fast_taken = 0
    for raw in sample:
        expected = _schema(dict(raw))
        got = rating_values(dict(raw))
        if got is None:
            continue  # the schema reads it, as before
        fast_taken += 1
        assert got == expected, raw
        assert [type(v) for v in got] == [type(v) for v in expected], raw
    assert fast_taken > 100  # the test exercises the fast path, not only the fallback


@pytest.mark.parametrize(
    "raw",
    [
        {"subject_kind": "member", "subject": "A-1", "year": "2024", "score": "abc"},
        {"subject_kind": "person", "subject": "A-1", "year": "2024"},
        {"subject_kind": "member", "year": "2024"},
        {"subject_kind": "member", "subject": "A-1", "year": "2024", "extra": "1"},
    ],
)
def test_a_row_the_schema_refuses_is_left_to_it(raw):
    with pytest.raises(ValidationError):
        RatingRow(**raw)
    assert rating_values(raw) is None


def test_the_common_row_is_read_without_the_schema():
    raw = {
        "subject_kind": "member",
        "subject": "R-1",
        "year": "2025",
        "level": "good",
        "score": "80",
        "document": "12-QĐ/ĐU",
    }
    assert rating_values(raw) == ("member", "R-1", 2025, "good", Decimal("80"), "12-QĐ/ĐU", "")
    assert dt.date(rating_values(raw).year, 12, 31)  # a whole number, as the schema gives
