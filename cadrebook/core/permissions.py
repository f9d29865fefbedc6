"""The actions a grant may allow, declared by the apps that check them.

An action is what a scope is asked for: `Model.objects.visible_to(user, CHANGE)`. Each app
declares the actions it checks as constants in its own `permissions.py`, naming the roles that
hold them (`CHANGE = declare_action("change", label=..., roles=(...))`), and call sites use
the constant. So a misspelled action is a NameError when the module is imported, and an action
string nobody declared is refused by `scope_for` (`check_action`) instead of quietly giving an
empty scope; the system check `cadrebook.E001` runs at start-up (every `manage.py` command and
the server) and refuses a role or an action left without the other.

Core sits below accounts, where the roles are named, so core only keeps the register: the
roles are plain strings here. The actions every app checks (`VIEW`, `VIEW_SENSITIVE`, `CHANGE`,
`AUDIT`) are declared here without roles and granted to roles by the accounts app
(`grant_action`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass
class DeclaredAction:
    """One action: its name (what grants are checked for), what it allows, who holds it."""

    name: str
    label: str | Promise
    roles: set[str] = field(default_factory=set)


_DECLARED: dict[str, DeclaredAction] = {}


def declare_action(name: str, *, label: str | Promise, roles: Iterable[str] = ()) -> str:
    """Declare an action and the roles that hold it; returns its name, the constant to use.

    Declaring the same name twice is refused: two apps must not mean two things by one
    action.
    """
    if name in _DECLARED:
        raise ImproperlyConfigured(f"The action {name!r} is declared twice.")
    _DECLARED[name] = DeclaredAction(name, label, {str(r) for r in roles})
    return name


def grant_action(name: str, *, roles: Iterable[str]) -> None:
    """Let `roles` hold an action declared elsewhere (by a lower app that cannot name roles)."""
    check_action(name)
    _DECLARED[name].roles.update(str(r) for r in roles)


def check_action(name: str) -> None:
    """Refuse an action nobody declared: a typo must fail loudly, not read as "no access"."""
    if name not in _DECLARED:
        raise ImproperlyConfigured(
            f"Unknown action {name!r}: declare it with declare_action in the app's permissions.py."
        )


def declared_actions() -> Mapping[str, DeclaredAction]:
    """Every declared action by name (read-only)."""
    return MappingProxyType(_DECLARED)


def role_actions(role: str) -> frozenset[str]:
    """The actions a role holds."""
    return frozenset(a.name for a in _DECLARED.values() if role in a.roles)


# The actions every app checks, declared here because every layer uses them: see records,
# see personal data unmasked, record changes, read the audit log.
VIEW = declare_action("view", label=_("See records"))
VIEW_SENSITIVE = declare_action("view_sensitive", label=_("See personal data unmasked"))
CHANGE = declare_action("change", label=_("Record events and edit personal data"))
AUDIT = declare_action("audit", label=_("Read the audit log"))


@register()
def check_declared_actions(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Start-up check: every declared action is held by some role."""
    return [
        Error(
            f"The action {action.name!r} is held by no role.",
            hint="Name its roles in declare_action or grant it with grant_action.",
            id="cadrebook.E001",
        )
        for action in _DECLARED.values()
        if not action.roles
    ]
