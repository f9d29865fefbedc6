"""Roles and the actions each allows. A grant on a unit covers its whole subtree."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    CLERK = "clerk", _("Clerk")
    ORGANIZER = "organizer", _("Organizer")
    INSPECTOR = "inspector", _("Inspector")
    ADMINISTRATOR = "administrator", _("Administrator")


# view: see records; view_sensitive: unmasked personal data; change: record member events and
# edit personal data; manage_units: create, move, merge, dissolve units; audit: read the log.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({"view"}),
    Role.CLERK: frozenset({"view", "view_sensitive", "change"}),
    Role.ORGANIZER: frozenset({"view", "view_sensitive", "change", "manage_units", "audit"}),
    Role.INSPECTOR: frozenset({"view", "view_sensitive", "audit"}),
    Role.ADMINISTRATOR: frozenset(
        {"view", "view_sensitive", "change", "manage_units", "audit", "admin"}
    ),
}
