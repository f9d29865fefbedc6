"""Shared view helpers and the audit trail pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cadrebook.core.audit_masks import mask_entries
from cadrebook.core.models import AuditEntry
from cadrebook.core.permissions import AUDIT, VIEW
from cadrebook.core.scoping import scope_for, subtree_q
from cadrebook.core.units import visible_unit


def get_visible_or_404(
    queryset: QuerySet[Any], user: Any, action: str = VIEW, **lookup: Any
) -> Any:
    """The object if it exists *and* the user may reach it; 404 alike otherwise."""
    try:
        return queryset.visible_to(user, action).get(**lookup)  # type: ignore[attr-defined]
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404 from None


def paginate(request: HttpRequest, queryset: Any, per_page: int = 50) -> Any:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def audit_page(request: HttpRequest, entries: QuerySet[AuditEntry]) -> Any:
    """A page of the log as the user may read it (confidential entries masked)."""
    page = paginate(request, entries)
    page.object_list = mask_entries(request.user, page.object_list)
    return page


def audit_for_object(user: Any, obj: Model) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.visible_to(user, AUDIT).filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    )


@login_required
def audit_unit(request: HttpRequest, code: str) -> HttpResponse:
    """The audit trail of one unit's subtree (only for roles that may read the log: a unit
    in view but not in the audit scope is 403, as in the API; out of view, 404)."""
    unit = visible_unit(request.user, code)  # orgs' finder: core sits below orgs
    if unit is None:
        raise Http404
    if not can(request.user, AUDIT, unit.path):
        raise PermissionDenied
    entries = AuditEntry.objects.filter(subtree_q("unit_path", [unit.path]))
    return render(
        request,
        "core/audit_list.html",
        {"unit": unit, "page": audit_page(request, entries), "title_object": unit},
    )


@login_required
def audit_object(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    """The audit trail of one object, as far as it lies in the user's audit scope (403 for
    a role that reads the log nowhere, as in the API)."""
    if scope_for(request.user, AUDIT).nothing:
        raise PermissionDenied
    entries: QuerySet[AuditEntry] = AuditEntry.objects.visible_to(request.user, AUDIT).filter(
        object_type=object_type, object_id=object_id
    )
    first = entries.first()
    if first is None:
        raise Http404
    first = mask_entries(request.user, [first])[0]
    return render(
        request,
        "core/audit_list.html",
        {"page": audit_page(request, entries), "title_object": first.object_repr},
    )


def can(user: Any, action: str, path: str) -> bool:
    return scope_for(user, action).covers_path(path)
