from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "cadrebook.inspections"
    label = "inspections"
    verbose_name = _("Inspection and discipline")

    def ready(self) -> None:
        from cadrebook.core.append_only import guard
        from cadrebook.core.audit_masks import register_audit_mask
        from cadrebook.core.contributions import (
            register_figure,
            register_panel,
            register_report_section,
        )
        from cadrebook.core.restrictions import register_restriction_provider
        from cadrebook.inspections import (
            citations,
            panels,
            permissions,  # noqa: F401  (declares the actions)
        )
        from cadrebook.inspections.contributions import (
            DISCIPLINE_FIGURE,
            DISCIPLINE_SECTION,
            INSPECTION_FIGURE,
            INSPECTION_PANEL,
            INSPECTION_SECTION,
        )
        from cadrebook.inspections.models import APPEND_ONLY
        from cadrebook.inspections.permissions import VIEW_INSPECTIONS
        from cadrebook.inspections.restrictions import discipline_restrictions

        # A recommendation's follow-ups are its history: appended, never changed.
        for table, message in APPEND_ONLY.items():
            guard(table, message)

        # The audit log shows what an inspection, a discipline or an appeal recorded (the
        # violation, the votes, the findings) only to those who may read the files.
        register_audit_mask(
            (model._meta.label_lower for model in self.get_models()), VIEW_INSPECTIONS
        )

        # The register's pages list the inspections and disciplines that cite a document.
        citations.register()

        # A discipline's bans (no transfer while in force, ...) reach the services that ask.
        register_restriction_provider(discipline_restrictions)

        # The statistics, the report and the dashboard show the inspections and disciplines
        # through these; reports never names them.
        register_figure(INSPECTION_FIGURE)
        register_figure(DISCIPLINE_FIGURE)
        register_report_section(INSPECTION_SECTION)
        register_report_section(DISCIPLINE_SECTION)
        register_panel(INSPECTION_PANEL)

        # The member's dossier shows the member's disciplines and the conclusions concerning
        # the member, through the members' hook.
        panels.register()
