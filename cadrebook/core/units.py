"""What core's audit pages and API need of the unit tree: the unit with a code, as a user may
see it. Core sits below orgs and never imports it, so orgs registers how to find a unit at
start-up (`OrgsConfig.ready`), as accounts registers the scope of a user (`core/scoping.py`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_unit_finder: Callable[[Any, str], Any | None] | None = None


def register_unit_finder(finder: Callable[[Any, str], Any | None]) -> None:
    """`finder(user, code)` gives the unit with `code` if the user may view it, else None."""
    global _unit_finder
    _unit_finder = finder


def visible_unit(user: Any, code: str) -> Any | None:
    """The unit with `code` if it exists and `user` may view it; None alike otherwise (and
    when no app has registered a finder: without units there is nothing to find)."""
    if _unit_finder is None:
        return None
    return _unit_finder(user, code)
