"""The actions of cadre work.

`manage_cadres`: record committee terms, elections, appointments and the end of a post (the
organization board's work: the organizer, and the administrator). Reading the posts follows
`view`; the personal data read with them (date of birth, and the retirement dates derived
from it) follows `view_sensitive`, as the members' (`selectors`).
"""

from django.utils.translation import gettext_lazy as _

from cadrebook.accounts.roles import Role
from cadrebook.core.permissions import declare_action

MANAGE_CADRES = declare_action(
    "manage_cadres",
    label=_("Record committee terms, elections, appointments and the end of posts"),
    roles=(Role.ORGANIZER, Role.ADMINISTRATOR),
)
