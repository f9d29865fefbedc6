from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "cadrebook.orgs"
    label = "orgs"
    verbose_name = _("Organization")

    def ready(self) -> None:
        from cadrebook.core.contributions import CountedChanges, register_counted_changes
        from cadrebook.core.units import register_unit_finder
        from cadrebook.orgs.selectors import unit_visible_by_code

        # A change of the tree makes the statistics' aggregates stale until rebuilt.
        register_counted_changes(CountedChanges("orgs", ("unit.",), followable=False))
        # Core's audit pages find units by code through this hook: core never imports orgs.
        register_unit_finder(unit_visible_by_code)
