from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "cadrebook.imports"
    label = "imports"
    verbose_name = _("Imports and exports")

    def ready(self) -> None:
        from cadrebook.core.contributions import CountedChanges, register_counted_changes

        # An import writes in bulk: the statistics' aggregates are stale until rebuilt.
        register_counted_changes(CountedChanges("imports", ("import.",), followable=False))
