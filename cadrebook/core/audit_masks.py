"""Entries of the audit log whose content a reader may not see.

The log is scoped by unit (`AUDIT`), but some records are confidential beyond that: an
inspection's or a discipline's snapshot names the violation, the votes, the findings, which
only the roles holding the app's own reading action may read (issue 19, item 6). Core sits
below those apps and never imports them, so an app registers, at start-up, the object types
it writes to the log and the action that reads them; the audit pages and API then show such an
entry's content (before, after, the object's name) only to a reader whose scope for that
action covers the entry's unit, and the bare fact (who, when, which event type) to the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from cadrebook.core.models import AuditEntry
from cadrebook.core.scoping import Scope, scope_for

# object type ("app_label.model") -> the action that reads such an entry's content.
_MASKED: dict[str, str] = {}


def register_audit_mask(object_types: Iterable[str], action: str) -> None:
    """Show the content of the log's entries about `object_types` only to readers whose
    scope for `action` covers the entry's unit."""
    for object_type in object_types:
        _MASKED[object_type.lower()] = action


def masked_types() -> dict[str, str]:
    return dict(_MASKED)


def mask_entries(user: Any, entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """The entries as `user` may read them: the content of a confidential one the user may
    not read is blanked in memory (the entry itself is never changed). The scope of each
    action is asked once, and only when a page holds such an entry."""
    rows = list(entries)
    scopes: dict[str, Scope] = {}
    for entry in rows:
        action = _MASKED.get(entry.object_type)
        if action is None:
            continue
        if action not in scopes:
            scopes[action] = scope_for(user, action)
        if scopes[action].covers_path(entry.unit_path or ""):
            continue
        entry.before = None
        entry.after = None
        entry.object_repr = _("(confidential)")
        entry.masked = True  # type: ignore[attr-defined]
    return rows
