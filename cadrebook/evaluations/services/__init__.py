"""Writes of the evaluations app: targets (`targets.py`), the evaluation rounds and their
subjects' steps (`rounds.py`), ratings outside a round and model organizations
(`ratings.py`). Every service is re-exported here; callers import from the package."""

from cadrebook.evaluations.services.ratings import model_recognize, model_register, rating_record
from cadrebook.evaluations.services.rounds import (
    round_close,
    round_mark_outstanding,
    round_open,
    round_reschedule,
    subject_decide,
    subject_mark,
    subject_propose,
    subject_reconsider,
    subject_self_assess,
)
from cadrebook.evaluations.services.targets import target_set

__all__ = [
    "model_recognize",
    "model_register",
    "rating_record",
    "round_close",
    "round_mark_outstanding",
    "round_open",
    "round_reschedule",
    "subject_decide",
    "subject_mark",
    "subject_propose",
    "subject_reconsider",
    "subject_self_assess",
    "target_set",
]
