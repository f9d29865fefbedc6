from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CadresConfig(AppConfig):
    """Cadre work (issue 20): committee terms and posts, elections and appointments,
    planning, rotation, confidence votes, their pages and figures."""

    name = "cadrebook.cadres"
    label = "cadres"
    verbose_name = _("Cadre work")

    def ready(self) -> None:
        from cadrebook.cadres import (
            citations,
            hooks,
            panels,
            permissions,  # noqa: F401  (declares the actions)
        )
        from cadrebook.cadres.contributions import CADRES_FIGURE, CADRES_PANEL, CADRES_SECTION
        from cadrebook.cadres.models import APPEND_ONLY
        from cadrebook.core.append_only import guard
        from cadrebook.core.contributions import (
            register_figure,
            register_panel,
            register_report_section,
        )

        # A post's holding and its end are history: appended, never changed.
        for table, message in APPEND_ONLY.items():
            guard(table, message)

        # The discipline asks whether a member holds a post, and a removal from post ends
        # the member's posts, through the inspections' hooks.
        hooks.register()

        # The member's posts on the dossier, the unit's posts on the unit page.
        panels.register()

        # The register's pages list the posts, ends, planning and rotation plans citing a
        # document.
        citations.register()

        # The statistics, the report and the dashboard show the posts, the planning and the
        # period's appointments, rotations and votes through these; reports never names them.
        register_figure(CADRES_FIGURE)
        register_report_section(CADRES_SECTION)
        register_panel(CADRES_PANEL)
