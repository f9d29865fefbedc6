"""What the inspections app shows on the member's dossier, registered at start-up
(`InspectionsConfig.ready`) through the members' hook (`members/panels.py`: members sits
below inspections and never imports it):

- the member's disciplines (form, day, in force until, state) to those who read discipline
  files on the member's unit (`view_inspections`);
- the conclusions of inspections concerning the member, as the subject's side reads them: the
  finding on this member and the recommendations to them only, never the file (issue 19,
  item 6), to those who see the member.

And on a unit's page (`orgs/panels.py`), the conclusions concerning the unit, the same way.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from cadrebook.core.views import can
from cadrebook.inspections.pages import member_disciplines
from cadrebook.inspections.permissions import VIEW_INSPECTIONS
from cadrebook.inspections.rules import inspection_rules
from cadrebook.inspections.selectors import conclusions_concerning
from cadrebook.members.panels import DossierPanel, register_dossier_panel
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.panels import UnitPanel, register_unit_panel


def _conclusions(conclusions: list[Any]) -> list[dict[str, Any]]:
    rules = inspection_rules()
    return [
        {
            "conclusion": c,
            "kind": rules.kind_label(c.kind),
            "violation": rules.violation_label(c.violation_kind) if c.violation_kind else "",
        }
        for c in conclusions
    ]


def _unit(request: HttpRequest, unit: OrgUnit) -> dict[str, Any]:
    return {"unit_conclusions": _conclusions(conclusions_concerning(request.user, unit=unit))}


def _dossier(request: HttpRequest, member: Any) -> dict[str, Any]:
    reads_files = can(request.user, VIEW_INSPECTIONS, member.unit.path)
    conclusions = conclusions_concerning(request.user, member=member)
    return {
        "discipline_files": reads_files,
        "member_disciplines": (
            member_disciplines(request.user, member, timezone.localdate()) if reads_files else []
        ),
        "member_conclusions": _conclusions(conclusions),
    }


def register() -> None:
    register_dossier_panel(
        DossierPanel(
            name="inspections", template="inspections/_dossier_panel.html", context=_dossier
        )
    )
    register_unit_panel(
        UnitPanel(
            name="inspection_conclusions",
            place="main",
            template="inspections/_unit_conclusions.html",
            context=_unit,
        )
    )
