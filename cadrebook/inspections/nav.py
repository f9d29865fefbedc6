"""The navigation's "Inspections" entry, for the roles that read inspection files somewhere
(`view_inspections`): a context processor (config/settings.py), asked lazily, so a page
without the navigation (an anonymous one) asks nothing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cadrebook.core.scoping import scope_for
from cadrebook.inspections.permissions import VIEW_INSPECTIONS


def nav(request: HttpRequest) -> dict[str, Any]:
    def reads_inspections() -> bool:
        scope = scope_for(getattr(request, "user", None), VIEW_INSPECTIONS)
        return scope.everything or bool(scope.paths)

    return {"nav_inspections": reads_inspections}
