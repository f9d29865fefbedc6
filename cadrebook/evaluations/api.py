"""The API shapes of targets. The statistics (`GET /api/v1/reports/stats`) carry each
target with what was achieved (`TargetOut`, the figure `evaluations/contributions.py`
contributes); the reports' schema takes it from here, so the shape lives with the figure.
A router of its own (`/api/v1/targets`) comes with its first endpoint."""

from __future__ import annotations

from ninja import Schema


class TargetOut(Schema):
    indicator: str
    year: int
    target: int
    actual: int
    achievement_pct: float | None
