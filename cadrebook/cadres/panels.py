"""What the cadres app shows on other apps' pages, registered at start-up
(`CadresConfig.ready`) through their hooks (members and orgs sit below cadres and never
import it):

- on the member's dossier (`members/panels.py`): the member's posts, past and present, and
  their planning entries, in the units the reader sees; the retirement day (derived from the
  date of birth) masked without `view_sensitive`, as the dossier masks it;
- on a unit's page (`orgs/panels.py`), for a unit whose kind has posts: how many hold its
  posts today and how many designated seats are empty, with the link to its posts page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from cadrebook.cadres.pages import (
    empty_designated,
    has_posts,
    holding_rows,
    member_planning,
    planning_rows,
    retires_on,
    seat_rows,
)
from cadrebook.cadres.selectors import post_history
from cadrebook.members.panels import DossierPanel, register_dossier_panel
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.panels import UnitPanel, register_unit_panel


def _dossier(request: HttpRequest, member: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "cadre_posts": holding_rows(post_history(request.user, member), today),
        "cadre_planning": planning_rows(member_planning(request.user, member)),
        "cadre_retires_on": retires_on(request.user, member),
    }


def _unit(request: HttpRequest, unit: OrgUnit) -> dict[str, Any]:
    if not has_posts(unit):
        return {"cadre_posts_unit": False}
    rows = seat_rows(request.user, unit, timezone.localdate())
    return {
        "cadre_posts_unit": True,
        "cadre_holders": len({h.pk for r in rows for h in r.holdings}),
        "cadre_empty": empty_designated(rows),
    }


def register() -> None:
    register_dossier_panel(
        DossierPanel(name="cadres", template="cadres/_dossier_panel.html", context=_dossier)
    )
    register_unit_panel(
        UnitPanel(name="cadres", place="main", template="cadres/_unit_panel.html", context=_unit)
    )
