"""Which roles hold the actions every app checks, and the accounts app's own action."""

from django.utils.translation import gettext_lazy as _

from cadrebook.accounts.roles import Role
from cadrebook.core.permissions import (
    AUDIT,
    CHANGE,
    VIEW,
    VIEW_SENSITIVE,
    declare_action,
    grant_action,
)

grant_action(VIEW, roles=Role.values)
grant_action(VIEW_SENSITIVE, roles=(Role.CLERK, Role.ORGANIZER, Role.INSPECTOR, Role.ADMINISTRATOR))
grant_action(CHANGE, roles=(Role.CLERK, Role.ORGANIZER, Role.ADMINISTRATOR))
grant_action(AUDIT, roles=(Role.ORGANIZER, Role.INSPECTOR, Role.ADMINISTRATOR))

ADMIN = declare_action("admin", label=_("Administer the deployment"), roles=(Role.ADMINISTRATOR,))
