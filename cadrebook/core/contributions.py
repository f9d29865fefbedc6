"""What the domain apps contribute to the statistics and reports: figures, dashboard panels,
sections of the report document, and the audit events that change what is counted.

The reports app sits above the domain apps, so a domain app cannot import it. Instead each
app registers its contributions here, in its `AppConfig.ready()`; the reports app iterates
the registry when it computes statistics, draws the dashboard and writes a report. A new app
(evaluation, inspection, cadres, documents) adds its figures with one registration and never
edits the reports app. `docs/architecture.md` ("Contributing figures, panels and report
sections") shows the steps; `evaluations/contributions.py` is the example to copy.

Everything contributed is a pure function of the statistics dict (or, for figures, of the
scope they are computed for), so an issued report renders from the figures it stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cadrebook.core.rules import Ruleset

Stats = dict[str, Any]


@dataclass
class Chart:
    """One dashboard panel: an id for the page, a title, the ECharts option, and a table with
    the same numbers (so what the chart draws and what its table says cannot differ)."""

    id: str
    title: str
    option: dict[str, Any]
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Table:
    """One table of the report document: a title, column headers and rows of cells (numbers
    stay numbers: the XLSX keeps them as numbers)."""

    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


class FigureScope(Protocol):
    """What a figure is computed for, as the reports app gives it: a unit (`parent`), the
    units the figure is asked of (the parent, then its subordinate units when the statistics
    break down by them), the period, the rule set, and the counts of the statistics."""

    parent: Any  # an OrgUnit
    units: list[Any]
    date_from: dt.date
    date_to: dt.date
    as_of: dt.date  # the day the statistics count members (default: date_to)
    rules: Ruleset

    def year_movements(self, unit_id: int, year: int) -> dict[str, int]:
        """The movements of one of `units` over a whole calendar year, as the statistics
        count them under `parent` (a unit moved within the year counts its own subtree)."""
        ...

    def movement_of(self, event_type: str) -> str:
        """The movement (key of `movements` in the statistics) an event type is counted as."""
        ...

    def counted_on(self, day: dt.date) -> dict[int, Counted]:
        """The members and units of each of `units`' subtrees on `day`, as the statistics
        count them under `parent` (e.g. the denominator of a share: those not rated are the
        members counted less those rated). On `as_of` these are the statistics' own figures
        (read once); the children are those that stood under `parent` on `as_of`."""
        ...


@dataclass(frozen=True)
class Counted:
    """The members (probationary and full) of a subtree on a day and its units by kind, as
    the statistics count them."""

    members: int
    units_by_kind: dict[str, int]


@dataclass(frozen=True)
class FigureContribution:
    """A figure of the statistics: `key` names it in the statistics dict (of the unit, of the
    year before and of each subordinate unit). `load(parent, first_year, last_year,
    with_children)` reads what it needs once per statistics (the period and the year before
    share it); `compute(scope, loaded)` gives unit id -> the JSON-ready figure of each unit
    of the scope. `csv_key(item)` names each item of a list figure in the CSV export."""

    key: str
    load: Callable[[Any, int, int, bool], Any]
    compute: Callable[[FigureScope, Any], dict[int, Any]]
    csv_key: Callable[[Any], str] = str
    # A confidential figure (who was disciplined, inspected): a reader whose scope for
    # `read_action` does not cover the unit gets it as `reports/privacy.py` says: withheld
    # (None) for a small subtree and per subordinate unit, else `mask_small(figure, small)`,
    # the figure with the counts that could single out a person withheld.
    read_action: str = ""
    mask_small: Callable[[Any, int], Any] | None = None


@dataclass(frozen=True)
class PanelContribution:
    """A dashboard panel: `build(stats, history, tree)` gives its Chart; `order` places it
    among the others (smaller first)."""

    id: str
    order: int
    build: Callable[[Stats, list[dict[str, Any]], dict[str, Any]], Chart]


def _nothing(_stats: Stats) -> list[Any]:
    return []


@dataclass(frozen=True)
class ReportSection:
    """A section of the report document: its tables, and sentences the narrative's first
    paragraph (what the subtree did over the period) says after the admissions, both in the
    active language; `order` places it among the others (smaller first)."""

    id: str
    order: int
    tables: Callable[[Stats], list[Table]] = _nothing
    sentences: Callable[[Stats], list[str]] = _nothing


@dataclass(frozen=True)
class CountedChanges:
    """Audit events (those whose type starts with one of `event_types`) that change what the
    statistics count. `followable`: the aggregates can be corrected member by member for
    them (a member's record changed); otherwise they are stale until rebuilt (the tree
    restructured, an import)."""

    app: str
    event_types: tuple[str, ...]
    followable: bool


@dataclass(frozen=True)
class StoredCount:
    """The members (probationary and full) of a unit's subtree as the latest statistics
    rebuild counted them: on the day `on`, in the rebuild finished at `built`. Not a live
    count: what changed since the rebuild is not in it, and a page says so."""

    members: int
    on: dt.date
    built: dt.datetime


class StatisticsCounts(Protocol):
    """The counts of the statistics, as the reports app gives them to the apps below it (for
    a page of their own that shows a count, e.g. the targets page's achieved column), so a
    count reads the same there as on the dashboard."""

    def stored_members(self, units: list[Any], today: dt.date) -> dict[int, StoredCount]:
        """The latest stored figures of `units` on or before `today` (unit id -> count):
        one read of the aggregates, whatever the size of the subtrees. Units the
        aggregates do not hold (those with no units below them), or none at all when no
        rebuild of the rule set in force has finished, are left out."""
        ...

    def year_movements(self, unit: Any, year: int) -> dict[str, int]:
        """The movements of `unit`'s subtree over a whole calendar year."""
        ...

    def below(
        self, parent: Any, units: list[Any], first_year: int, last_year: int
    ) -> Callable[[int, int], dict[str, int]]:
        """(unit id, year) -> the movements of that unit's subtree over the year, for
        `parent` and units directly below it, counted as the statistics of `parent` break
        them down: one read per year, not one per unit."""
        ...

    def movement_of(self, event_type: str) -> str: ...

    def counted_on(self, unit: Any, day: dt.date) -> Counted:
        """The members and the units by kind of `unit`'s subtree on `day`, from the best
        source (the aggregates when they are current: no count of millions of periods)."""
        ...


_figures: dict[str, FigureContribution] = {}
_panels: dict[str, PanelContribution] = {}
_sections: dict[str, ReportSection] = {}
_changes: dict[str, CountedChanges] = {}
_counts: list[Callable[[], StatisticsCounts]] = []


def _register(registry: dict[str, Any], key: str, item: Any) -> None:
    """Register `item` under `key`; registering the same again is harmless (an app's ready()
    may run twice in tests), another under a key taken is a mistake."""
    if key in registry and registry[key] != item:
        raise ValueError(f"{key!r} is already contributed")
    registry[key] = item


def register_figure(contribution: FigureContribution) -> None:
    _register(_figures, contribution.key, contribution)


def register_panel(contribution: PanelContribution) -> None:
    _register(_panels, contribution.id, contribution)


def register_report_section(section: ReportSection) -> None:
    _register(_sections, section.id, section)


def register_counted_changes(changes: CountedChanges) -> None:
    _register(_changes, changes.app, changes)


def figures() -> list[FigureContribution]:
    """The contributed figures, in the order the apps registered them (the order of the
    keys in the statistics)."""
    return list(_figures.values())


def panels() -> list[PanelContribution]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.id))


def report_sections() -> list[ReportSection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.id))


def counted_changes() -> Iterable[CountedChanges]:
    return list(_changes.values())


def provide_statistics_counts(factory: Callable[[], StatisticsCounts]) -> None:
    """The reports app gives the counts of the statistics (one `factory()` per page)."""
    _counts[:] = [factory]


def statistics_counts() -> StatisticsCounts | None:
    """The counts of the statistics, or None when no app gives them (reports not installed)."""
    return _counts[0]() if _counts else None
