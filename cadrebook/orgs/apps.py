from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "cadrebook.orgs"
    label = "orgs"
    verbose_name = _("Organization")

    def ready(self) -> None:
        from cadrebook.core.units import register_unit_finder
        from cadrebook.orgs.selectors import unit_visible_by_code

        # Core's audit pages find units by code through this hook: core never imports orgs.
        register_unit_finder(unit_visible_by_code)
