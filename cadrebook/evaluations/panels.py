"""What the evaluation shows on the pages of the apps below it, registered at start-up
(`EvaluationsConfig.ready`) through their hooks: a member's ratings by year on the dossier
(`members/panels.py`), and on a unit's page its ratings by year, its model records and the
subtree's registrations for the models of the year, with the rounds under way
(`orgs/panels.py`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from cadrebook.core.views import can
from cadrebook.evaluations.choices import RoundStatus
from cadrebook.evaluations.pages import member_ratings, rounds_in_reach, unit_evaluation
from cadrebook.evaluations.permissions import DECIDE_EVALUATIONS
from cadrebook.members.panels import DossierPanel, register_dossier_panel
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.panels import UnitPanel, register_unit_panel

OPEN_ROUNDS = 5  # rounds under way shown on a unit's page


def _dossier(request: HttpRequest, member: Any) -> dict[str, Any]:
    return member_ratings(member)


def _unit(request: HttpRequest, unit: OrgUnit) -> dict[str, Any]:
    year = timezone.localdate().year
    rounds = list(
        rounds_in_reach(request.user)
        .filter(status=RoundStatus.OPEN, unit__path__in=unit.ancestor_paths())
        .order_by("-year", "-id")[:OPEN_ROUNDS]
    )
    return {
        **unit_evaluation(unit, year),
        "evaluation_rounds": rounds,
        "may_open_round": can(request.user, DECIDE_EVALUATIONS, unit.path) and unit.numchild > 0,
    }


def register() -> None:
    register_dossier_panel(
        DossierPanel(name="ratings", template="evaluations/_dossier_ratings.html", context=_dossier)
    )
    register_unit_panel(
        UnitPanel(
            name="evaluation",
            place="main",
            template="evaluations/_unit_panel.html",
            context=_unit,
        )
    )
