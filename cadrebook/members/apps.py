from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "cadrebook.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from cadrebook.core.append_only import guard
        from cadrebook.core.contributions import CountedChanges, register_counted_changes
        from cadrebook.members import citations, unit_panels

        # Members' histories: events are appended, corrected by new events, never changed.
        guard("members_memberevent", "member history is append-only")
        # A member's changed record: the statistics' aggregates are corrected member by member.
        register_counted_changes(CountedChanges("members", ("member.",), followable=True))

        # The unit pages of orgs show what members registers: orgs never imports members.
        unit_panels.register()
        # A document's page lists the events that cite it: documents never imports members.
        citations.register()
