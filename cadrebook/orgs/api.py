"""API of the unit tree: `GET /api/v1/units` and `GET /api/v1/units/{code}` (read-only here;
the unit services write)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from cadrebook.core.normalize import normalize_name
from cadrebook.core.scoping import PATH_END
from cadrebook.members.api import found
from cadrebook.orgs.models import OrgUnit

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
    q: str | None = Field(None, description="Part of the name (accents optional) or code")
    cursor: str = ""


def _out(unit: OrgUnit, parents: dict[str, str]) -> dict[str, Any]:
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


def _parents(units: list[OrgUnit]) -> dict[str, str]:
    paths = {u.path[: -OrgUnit.steplen] for u in units if u.depth > 1}
    return dict(OrgUnit.objects.filter(path__in=paths).values_list("path", "code"))


@router.get("", response=UnitPage, summary="Units the caller may see, by code")
def list_units(request: HttpRequest, query: Query[UnitQuery]) -> dict[str, Any]:
    units = OrgUnit.objects.visible_to(request.user, "view")
    if query.parent:
        parent = found(units, code=query.parent)
        units = units.filter(
            path__gt=parent.path, path__lt=parent.path + PATH_END, depth=parent.depth + 1
        )
    if query.kind:
        units = units.filter(kind=query.kind)
    if query.q:
        units = units.filter(name_norm__contains=normalize_name(query.q)) | units.filter(
            code__startswith=query.q.strip()
        )
    if query.cursor:
        units = units.filter(code__gt=query.cursor)
    rows = list(units.order_by("code")[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    parents = _parents(rows)
    return {
        "items": [_out(u, parents) for u in rows],
        "next_cursor": rows[-1].code if more and rows else None,
    }


@router.get("/{code}", response=UnitOut, summary="One unit")
def get_unit(request: HttpRequest, code: str) -> dict[str, Any]:
    unit = found(OrgUnit.objects.visible_to(request.user, "view"), code=code)
    return _out(unit, _parents([unit]))
