from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "cadrebook.reports"
    label = "reports"
    verbose_name = _("Statistics and reports")

    def ready(self) -> None:
        from cadrebook.core.contributions import (
            provide_statistics_counts,
            register_panel,
            register_report_section,
        )
        from cadrebook.reports.dashboard import PANELS
        from cadrebook.reports.document import SECTIONS
        from cadrebook.reports.selectors import YearCounts

        # The reports' own panels and sections go through the registry like any app's, so
        # the dashboard and the document show whatever is registered, in its order.
        for panel in PANELS:
            register_panel(panel)
        for section in SECTIONS:
            register_report_section(section)
        provide_statistics_counts(YearCounts)
