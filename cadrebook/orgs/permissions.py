"""The actions of the organization tree."""

from django.utils.translation import gettext_lazy as _

from cadrebook.accounts.roles import Role
from cadrebook.core.permissions import declare_action

# Create, rename, move, merge and dissolve units; set their targets.
MANAGE_UNITS = declare_action(
    "manage_units",
    label=_("Create, move, merge and dissolve units"),
    roles=(Role.ORGANIZER, Role.ADMINISTRATOR),
)
