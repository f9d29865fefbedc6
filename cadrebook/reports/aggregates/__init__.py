"""The aggregate tables of the statistics: built from the period table (`build.py`, nightly,
after imports and from `cadrebook report rebuild`), read while current (`read.py`).

The names callers use are here, so `from cadrebook.reports.aggregates import best_source`
keeps working whichever half a name lives in.
"""

from cadrebook.reports.aggregates.build import rebuild_statistics, snapshot_dates
from cadrebook.reports.aggregates.read import (
    AggregateSource,
    best_source,
    current_build,
    month_end,
    rules_mark,
    stored_member_counts,
)

__all__ = [
    "AggregateSource",
    "best_source",
    "current_build",
    "month_end",
    "rebuild_statistics",
    "rules_mark",
    "snapshot_dates",
    "stored_member_counts",
]
