"""The writes of cadre work, one module per concern (`terms.py`: a committee's terms;
`posts.py`: elections, appointments and the end of posts; `planning.py`: nomination rounds,
the planning lists and their yearly review; `confidence.py`: confidence votes; `rotation.py`: rotation plans and their stints), re-exported here: callers import
them from `cadrebook.cadres.services`. `_checks.py` holds the checks they share."""

from cadrebook.cadres.services.confidence import confidence_session_record
from cadrebook.cadres.services.planning import (
    planning_add,
    planning_remove,
    planning_review,
    planning_round_record,
)
from cadrebook.cadres.services.posts import (
    holding_correct,
    holding_end,
    holdings_end_by_discipline,
    holdings_restore_by_appeal,
    post_appoint,
    post_elect,
)
from cadrebook.cadres.services.rotation import (
    rotation_plan_record,
    rotation_stint_add,
    rotation_stint_end,
)
from cadrebook.cadres.services.terms import committee_term_close, committee_term_open

__all__ = [
    "committee_term_close",
    "confidence_session_record",
    "committee_term_open",
    "holding_correct",
    "holding_end",
    "holdings_end_by_discipline",
    "holdings_restore_by_appeal",
    "planning_add",
    "planning_remove",
    "planning_review",
    "planning_round_record",
    "post_appoint",
    "post_elect",
    "rotation_plan_record",
    "rotation_stint_add",
    "rotation_stint_end",
]
