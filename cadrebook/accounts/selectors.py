"""Reads about users' grants and API tokens."""

from __future__ import annotations

import hashlib
from typing import Any

from cadrebook.accounts.models import RoleAssignment
from cadrebook.core.permissions import check_action, role_actions
from cadrebook.core.scoping import Scope


def user_scope(user: Any, action: str) -> Scope:
    """The subtrees in which `user` may perform `action` (cached on the user object).

    An action nobody declared is refused (`check_action`), never read as "no access".
    """
    check_action(action)
    cache: dict[str, Scope] = user.__dict__.setdefault("_cadrebook_scopes", {})
    if action in cache:
        return cache[action]
    paths: list[str] = []
    everything = False
    grants = RoleAssignment.objects.filter(user=user).select_related("unit")
    for grant in grants:
        if action not in role_actions(grant.role):
            continue
        if grant.unit is None:
            everything = True
        else:
            paths.append(grant.unit.path)
    # A grant inside another grant adds nothing; keep the outermost paths only.
    paths.sort()
    outer: list[str] = []
    for p in paths:
        if not any(p.startswith(o) for o in outer):
            outer.append(p)
    scope = Scope(everything, tuple(outer))
    cache[action] = scope
    return scope


def user_can(user: Any, action: str, path: str) -> bool:
    return user_scope(user, action).covers_path(path)


def token_digest(raw: str) -> str:
    """What is stored of a token's secret and looked up by: its SHA-256 digest."""
    return hashlib.sha256(raw.encode()).hexdigest()
