"""What other apps show on the pages of the unit tree. Orgs sits below them and never imports
them, so each registers here at start-up (in its `AppConfig.ready`):

- figures of each unit in the tree's rows (`register_unit_figures`): members gives how many
  members a unit has and whether a cell is below the minimum;
- panels of the unit page (`register_unit_panel`): members gives the due lists and the member
  list with its search.

A new app (documents, evaluations, inspections) adds its own the same way, without editing
orgs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.http import HttpRequest

from cadrebook.orgs.models import OrgUnit

# Figures of units for the tree's rows: {unit pk: {name: value}}, one call for all the rows.
UnitFigures = Callable[[list[OrgUnit]], dict[int, dict[str, Any]]]


@dataclass(frozen=True)
class UnitPanel:
    """A panel of the unit page.

    `template` is included at `place` ("top": across the page above the units below; "main":
    beside the units below) with the page's context and what `context(request, unit)` adds.
    `fragment`, when set, is the template that answers the page's htmx requests (the panel's
    own search re-asks the unit page); only that panel's context is computed for them."""

    name: str
    place: Literal["top", "main"]
    template: str
    context: Callable[[HttpRequest, OrgUnit], dict[str, Any]]
    fragment: str = ""


_figures: list[UnitFigures] = []
_panels: list[UnitPanel] = []


def register_unit_figures(figures: UnitFigures) -> None:
    if figures not in _figures:
        _figures.append(figures)


def register_unit_panel(panel: UnitPanel) -> None:
    """Add a panel (a panel of the same name is replaced: `ready` may run twice in tests)."""
    _panels[:] = [p for p in _panels if p.name != panel.name] + [panel]


def unit_figures(units: list[OrgUnit]) -> dict[int, dict[str, Any]]:
    """Every registered app's figures of `units`, merged per unit."""
    merged: dict[int, dict[str, Any]] = {u.pk: {} for u in units}
    for figures in _figures:
        for pk, values in figures(units).items():
            merged.setdefault(pk, {}).update(values)
    return merged


def unit_panels(place: str | None = None) -> list[UnitPanel]:
    """The registered panels (of one place), in the order they were registered."""
    return [p for p in _panels if place is None or p.place == place]
