"""The actions of the register of documents."""

from django.utils.translation import gettext_lazy as _

from cadrebook.accounts.roles import Role
from cadrebook.core.permissions import declare_action

# Register documents, change their status, link them, attach their files, open and close
# the issuers' terms: the committee office's work.
ISSUE_DOCUMENTS = declare_action(
    "issue_documents",
    label=_("Register documents and their files"),
    roles=(Role.CLERK, Role.ORGANIZER, Role.ADMINISTRATOR),
)
# Read restricted and secret documents (title, abstract, files); without the grant they are
# listed with these masked, and answer 404 when asked for directly.
VIEW_RESTRICTED_DOCUMENTS = declare_action(
    "view_restricted_documents",
    label=_("Read restricted documents"),
    roles=(Role.CLERK, Role.ORGANIZER, Role.INSPECTOR, Role.ADMINISTRATOR),
)
VIEW_SECRET_DOCUMENTS = declare_action(
    "view_secret_documents",
    label=_("Read secret documents"),
    roles=(Role.ORGANIZER, Role.INSPECTOR, Role.ADMINISTRATOR),
)
