"""The roles a grant gives. A grant on a unit covers its whole subtree."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    CLERK = "clerk", _("Clerk")
    ORGANIZER = "organizer", _("Organizer")
    INSPECTOR = "inspector", _("Inspector")
    ADMINISTRATOR = "administrator", _("Administrator")


# What each role may do is declared with the actions (`core/permissions.py` and every app's
# `permissions.py`); `core.permissions.role_actions(role)` reads it.
