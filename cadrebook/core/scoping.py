"""Scoped reads: `Model.objects.visible_to(user, action)`.

A grant on an org unit covers its subtree. Subtrees are selected with a path *range*
(`path >= p AND path < p + '~'`) rather than `startswith`, because SQLite turns `startswith`
into a LIKE that scans the whole index (docs/architecture.md, "The performance shape").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q

from cadrebook.core.permissions import VIEW, check_action

# Path characters come from treebeard's alphabet (0-9A-Z); '~' sorts after all of them.
PATH_END = "~"


@dataclass(frozen=True)
class Scope:
    """What a user may reach for one action: everything, or the subtrees under `paths`."""

    everything: bool
    paths: tuple[str, ...]

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.paths

    def covers_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.paths)


# Set by the accounts app at start-up: (user, action) -> Scope. Core sits below accounts and
# must not import it, so accounts registers itself here.
_scope_provider: Callable[[Any, str], Scope] | None = None


def register_scope_provider(provider: Callable[[Any, str], Scope]) -> None:
    global _scope_provider
    _scope_provider = provider


def scope_for(user: Any, action: str) -> Scope:
    """What `user` may reach for `action`; nothing for nobody. An undeclared action is refused
    for everyone, signed in or not (`check_action`)."""
    check_action(action)
    if user is None or not getattr(user, "is_authenticated", False) or _scope_provider is None:
        return Scope(False, ())
    return _scope_provider(user, action)


def subtree_q(path_field: str, paths: Iterable[str]) -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{path_field}__gte": p, f"{path_field}__lt": p + PATH_END})
    return q


_QS = TypeVar("_QS", bound="ScopedQuerySet[Any]")
_M = TypeVar("_M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[_M]):
    """QuerySet whose model names the path of the unit that scopes it (`scope_path_field`)."""

    def visible_to(self: _QS, user: Any, action: str = VIEW) -> _QS:
        scope = scope_for(user, action)
        if scope.everything:
            return self
        if scope.nothing:
            return self.none()
        field: str = self.model.scope_path_field
        return self.filter(subtree_q(field, scope.paths))
