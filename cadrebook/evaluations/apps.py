from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "cadrebook.evaluations"
    label = "evaluations"
    verbose_name = _("Evaluations and targets")

    def ready(self) -> None:
        from cadrebook.core.append_only import guard
        from cadrebook.core.contributions import (
            register_figure,
            register_panel,
            register_report_section,
        )
        from cadrebook.evaluations import permissions  # noqa: F401  (declares the actions)
        from cadrebook.evaluations.contributions import (
            EVALUATION_FIGURE,
            EVALUATION_PANEL,
            EVALUATION_SECTION,
            TARGET_FIGURE,
            TARGET_SECTION,
        )
        from cadrebook.evaluations.models import APPEND_ONLY

        # Self-assessments, proposals, decisions and model records are appended, never changed.
        for table, message in APPEND_ONLY.items():
            guard(table, message)

        # The statistics and the report show targets through these; reports never names them.
        register_figure(TARGET_FIGURE)
        register_report_section(TARGET_SECTION)
        # And the ratings of the year: figures, the report's section, the dashboard's chart.
        register_figure(EVALUATION_FIGURE)
        register_report_section(EVALUATION_SECTION)
        register_panel(EVALUATION_PANEL)

        # The dossier shows a member's ratings, the unit page a unit's (their hooks).
        from cadrebook.evaluations import panels

        panels.register()
