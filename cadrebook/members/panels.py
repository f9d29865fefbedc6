"""What other apps show on a member's dossier. Members sits below them and never imports
them, so each registers its panel here at start-up (in its `AppConfig.ready`), as the unit
page's panels are registered in `orgs/panels.py`: the evaluations app gives the member's
ratings by year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class DossierPanel:
    """A panel of the dossier: `template` is included in the dossier's main column with the
    page's context and what `context(request, member)` adds."""

    name: str
    template: str
    context: Callable[[HttpRequest, Any], dict[str, Any]]


_panels: list[DossierPanel] = []


def register_dossier_panel(panel: DossierPanel) -> None:
    """Add a panel (a panel of the same name is replaced: `ready` may run twice in tests)."""
    _panels[:] = [p for p in _panels if p.name != panel.name] + [panel]


def dossier_panels() -> list[DossierPanel]:
    """The registered panels, in the order they were registered."""
    return list(_panels)
