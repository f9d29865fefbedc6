"""The actions of the evaluation.

A member has no account in Cadrebook: the cell's clerk records the member's self-assessment
on the member's behalf, and the cell's proposal after its meeting (`evaluate`, on the cell).
The committee's office records what the committee decided (`decide_evaluations`, on the
deciding unit): it opens and closes rounds, marks outstanding units, records decisions and
reconsiderations, the ratings of earlier years (the import) and the model organizations.
"""

from django.utils.translation import gettext_lazy as _

from cadrebook.accounts.roles import Role
from cadrebook.core.permissions import declare_action

# Record a subject's self-assessment (for a member, on the member's behalf) and the
# cell's (or the collective's) proposal.
EVALUATE = declare_action(
    "evaluate",
    label=_("Record self-assessments and the cells' proposals"),
    roles=(Role.CLERK, Role.ORGANIZER, Role.ADMINISTRATOR),
)
# Open and close evaluation rounds, decide and reconsider levels, record ratings of
# earlier years and the model organizations: the deciding committee's office.
DECIDE_EVALUATIONS = declare_action(
    "decide_evaluations",
    label=_("Run evaluation rounds and record the committees' decisions"),
    roles=(Role.ORGANIZER, Role.ADMINISTRATOR),
)
