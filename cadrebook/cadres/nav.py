"""The navigation's "Cadres" entry, for the roles that record cadre work somewhere
(`manage_cadres`): a context processor (config/settings.py), asked lazily, so a page
without the navigation (an anonymous one) asks nothing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cadrebook.cadres.pages import manages_any


def nav(request: HttpRequest) -> dict[str, Any]:
    def manages_cadres() -> bool:
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated and manages_any(user))

    return {"nav_cadres": manages_cadres}
