"""API of the unit restructuring: move, merge and dissolve a unit, through the members'
services (they touch the unit's members as well as the tree).

`POST /api/v1/units/{code}/move|merge|dissolve`: mounted under `/units/` beside the unit
router of orgs (`orgs/api.py`), whose reads, checks and answer shape these share.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from cadrebook.core.api_toolkit import ApiDate, answers
from cadrebook.members.services import unit_dissolve, unit_merge, unit_move
from cadrebook.orgs.api import UnitOut, managed_unit, unit_out, unit_parents

# The operation ids are those the endpoints had when the unit router of orgs held them:
# clients generated from the schema name their methods after them.
router = Router(tags=["units"])


class DissolveIn(Schema):
    date: ApiDate
    document: str = Field("", max_length=64, description="The deciding document")


class MoveIn(Schema):
    parent: str = Field(..., description="Code of the new unit above")
    date: ApiDate = Field(
        ..., description="From when the unit stands there; earlier dates keep the old shape"
    )
    document: str = Field("", max_length=64, description="The deciding document")


class MergeIn(Schema):
    into: str = Field(..., description="Code of the unit that takes the members over")
    date: ApiDate
    document: str = Field("", max_length=64)


@router.post(
    "/{code}/move",
    response=answers({200: UnitOut}),
    summary="Move a unit under another",
    operation_id="cadrebook_orgs_api_move_unit",
)
def move_unit(request: HttpRequest, code: str, payload: MoveIn) -> dict[str, Any]:
    """The unit and its subtree, from `date` on; both it and the new parent must be the
    caller's to manage. Figures of earlier dates keep the old shape."""
    unit = managed_unit(request, code)
    parent = managed_unit(request, payload.parent)
    moved = unit_move(
        actor=request.user,
        unit=unit,
        new_parent=parent,
        date=payload.date,
        document=payload.document,
    )
    moved.refresh_from_db()
    return unit_out(moved, unit_parents(request, [moved]))


@router.post(
    "/{code}/merge",
    response=answers({200: UnitOut}),
    summary="Merge a unit into another",
    operation_id="cadrebook_orgs_api_merge_unit",
)
def merge_unit(request: HttpRequest, code: str, payload: MergeIn) -> dict[str, Any]:
    """Every active member of the unit is transferred into `into` on `date`; the unit is
    dissolved. History is kept."""
    unit = managed_unit(request, code)
    into = managed_unit(request, payload.into)
    merged = unit_merge(
        actor=request.user, unit=unit, into=into, date=payload.date, document=payload.document
    )
    merged.refresh_from_db()
    return unit_out(merged, unit_parents(request, [merged]))


@router.post(
    "/{code}/dissolve",
    response=answers({200: UnitOut}),
    summary="Dissolve a unit",
    operation_id="cadrebook_orgs_api_dissolve_unit",
)
def dissolve_unit(request: HttpRequest, code: str, payload: DissolveIn) -> dict[str, Any]:
    """Refused while the unit or a unit below it has active members, pending transfers or
    active units below it; the unit stays readable for the years it existed."""
    unit = unit_dissolve(
        actor=request.user,
        unit=managed_unit(request, code),
        date=payload.date,
        document=payload.document,
    )
    return unit_out(unit, unit_parents(request, [unit]))
