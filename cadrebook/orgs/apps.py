from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "cadrebook.orgs"
    label = "orgs"
    verbose_name = _("Organization")

    def ready(self) -> None:
        from cadrebook.core.contributions import CountedChanges, register_counted_changes

        # A change of the tree makes the statistics' aggregates stale until rebuilt.
        register_counted_changes(CountedChanges("orgs", ("unit.",), followable=False))
