"""The actions of inspection, supervision and discipline.

Inspection files are confidential (issue 19, item 6): only the inspecting body's inspectors
and the roles granted them read them (`view_inspections`); a subject sees the conclusion that
concerns them, not the file. So neither the clerk nor the organizer (the committee's office
and the organization board) holds these actions: they belong to the inspection committee's
people (`inspector`) and the administrator.
"""

from django.utils.translation import gettext_lazy as _

from cadrebook.accounts.roles import Role
from cadrebook.core.permissions import declare_action

# Record programs, inspections and supervisions, their teams, steps, subjects, conclusions,
# recommendations and their follow-up: the inspecting body's work.
INSPECT = declare_action(
    "inspect",
    label=_("Record inspections, supervisions and their conclusions"),
    roles=(Role.INSPECTOR, Role.ADMINISTRATOR),
)
# Read inspection files (programs, inspections, subjects and findings, recommendations) and
# disciplines' files (votes, violations, appeals).
VIEW_INSPECTIONS = declare_action(
    "view_inspections",
    label=_("Read inspection and discipline files"),
    roles=(Role.INSPECTOR, Role.ADMINISTRATOR),
)
# Record discipline decisions and appeals (the deciding body's votes, its document).
DECIDE_DISCIPLINE = declare_action(
    "decide_discipline",
    label=_("Record discipline decisions and appeals"),
    roles=(Role.INSPECTOR, Role.ADMINISTRATOR),
)
