"""API of the unit tree: list and read units; create and rename them through the unit services
(the rule set's kinds, history kept, every change audited). Moving, merging and dissolving a
unit touch its members too: those endpoints, under the same `/units/` paths, are members'
(`members/unit_api.py`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from cadrebook.core.api_toolkit import API_ROOT, ApiDate, answers, forbidden, found
from cadrebook.core.normalize import SEARCH_MAX_LENGTH, normalize_name, search_text
from cadrebook.core.permissions import VIEW
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import PATH_END, scope_for
from cadrebook.core.views import can
from cadrebook.orgs.fields import UnitFields
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.permissions import MANAGE_UNITS
from cadrebook.orgs.services import unit_create, unit_rename

router = Router(tags=["units"])
PAGE = 100


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None
    depth: int
    children: int
    founded_on: dt.date | None
    dissolved_on: dt.date | None


class UnitPage(Schema):
    items: list[UnitOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page")


class UnitQuery(Schema):
    parent: str | None = Field(None, description="Only the units directly below this one")
    kind: str | None = None
    q: str | None = Field(
        None,
        max_length=SEARCH_MAX_LENGTH,
        description="Part of the name (accents optional) or code",
    )
    cursor: str = ""


def unit_out(unit: OrgUnit, parents: dict[str, str]) -> dict[str, Any]:
    """A unit as the API answers it (`UnitOut`), here and in members' restructuring."""
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": parents.get(unit.path[: -OrgUnit.steplen]),
        "depth": unit.depth,
        "children": unit.numchild,
        "founded_on": unit.founded_on,
        "dissolved_on": unit.dissolved_on,
    }


def unit_parents(request: HttpRequest, units: list[OrgUnit]) -> dict[str, str]:
    """Codes of the units' parents that the caller may see (the others read as null)."""
    paths = {u.path[: -OrgUnit.steplen] for u in units if u.depth > 1}
    visible = OrgUnit.objects.visible_to(request.user, VIEW)
    return dict(visible.filter(path__in=paths).values_list("path", "code"))


@router.get("", response=answers({200: UnitPage}), summary="Units the caller may see, by code")
def list_units(request: HttpRequest, query: Query[UnitQuery]) -> dict[str, Any]:
    units = OrgUnit.objects.visible_to(request.user, VIEW)
    if query.parent:
        parent = found(units, code=query.parent)
        units = units.filter(
            path__gt=parent.path, path__lt=parent.path + PATH_END, depth=parent.depth + 1
        )
    if query.kind:
        current_ruleset().unit_kind(query.kind)  # an unknown kind is refused, not empty
        units = units.filter(kind=query.kind)
    if text := search_text(query.q):
        units = units.filter(name_norm__contains=normalize_name(text)) | units.filter(
            code__startswith=text
        )
    if query.cursor:
        units = units.filter(code__gt=query.cursor)
    rows = list(units.order_by("code")[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    parents = unit_parents(request, rows)
    return {
        "items": [unit_out(u, parents) for u in rows],
        "next_cursor": rows[-1].code if more and rows else None,
    }


@router.get("/{code}", response=answers({200: UnitOut}), summary="One unit")
def get_unit(request: HttpRequest, code: str) -> dict[str, Any]:
    unit = found(OrgUnit.objects.visible_to(request.user, VIEW), code=code)
    return unit_out(unit, unit_parents(request, [unit]))


class UnitIn(UnitFields):
    """A new unit: the fields of a units file's row (the same checks) and its parent."""

    parent: str | None = Field(None, description="Code of the unit above (none: the top)")


class UnitPatch(Schema):
    name: str = Field(..., min_length=1, max_length=255)
    date: ApiDate | None = Field(None, description="From when the new name holds (audited)")
    document: str = Field("", max_length=64, description="The deciding document")


def managed_unit(request: HttpRequest, code: str) -> OrgUnit:
    """A unit the caller may see (else 404) and manage (else 403)."""
    unit = found(OrgUnit.objects.visible_to(request.user, VIEW), code=code)
    if not can(request.user, MANAGE_UNITS, unit.path):
        raise forbidden()
    return cast(OrgUnit, unit)


@router.post("", response=answers({201: UnitOut}), summary="Create a unit")
def create_unit(request: HttpRequest, response: HttpResponse, payload: UnitIn) -> tuple[int, Any]:
    """Under a unit the caller manages (the rule set says which kinds may stand where); a
    unit at the top needs a role over the whole deployment."""
    if payload.parent:
        parent: OrgUnit | None = managed_unit(request, payload.parent)
    else:
        parent = None
        if not scope_for(request.user, MANAGE_UNITS).everything:
            raise forbidden()
    unit = unit_create(
        actor=request.user,
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        parent=parent,
        founded_on=payload.founded_on,
    )
    unit.refresh_from_db()
    response["Location"] = f"{API_ROOT}/units/{quote(unit.code)}"
    return Status(201, unit_out(unit, unit_parents(request, [unit])))


@router.patch("/{code}", response=answers({200: UnitOut}), summary="Rename a unit")
def patch_unit(request: HttpRequest, code: str, payload: UnitPatch) -> dict[str, Any]:
    unit = unit_rename(
        actor=request.user,
        unit=managed_unit(request, code),
        name=payload.name,
        date=payload.date,
        document=payload.document,
    )
    return unit_out(unit, unit_parents(request, [unit]))
