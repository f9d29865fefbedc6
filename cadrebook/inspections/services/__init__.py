"""Writes of the inspections app: programs and their items (`programs.py`), inspections and
supervisions (`inspections.py`), recommendations and their follow-up (`recommendations.py`);
the checks they share (`_checks.py`, private: not services). Disciplines and appeals (`discipline.py`) check
through the discipline engine (`discipline_rules.py`). Every service is re-exported here; callers import from the package.

As in the other apps, a service checks the rule set and writes; whether the actor may act on
the body (`inspect` in scope) is asked by the page or the endpoint that calls it."""

from cadrebook.inspections.services.discipline import (
    POST_REMOVAL_HOOKS,
    appeal_decide,
    appeal_lodge,
    discipline_decide,
)
from cadrebook.inspections.services.inspections import (
    Finding,
    TeamMember,
    inspection_add_subject,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
)
from cadrebook.inspections.services.programs import program_create, program_item_add
from cadrebook.inspections.services.recommendations import (
    recommendation_add,
    recommendation_follow_up,
)

__all__ = [
    "POST_REMOVAL_HOOKS",
    "appeal_decide",
    "appeal_lodge",
    "discipline_decide",
    "Finding",
    "TeamMember",
    "inspection_add_subject",
    "inspection_conclude",
    "inspection_open",
    "inspection_record_step",
    "program_create",
    "program_item_add",
    "recommendation_add",
    "recommendation_follow_up",
]
