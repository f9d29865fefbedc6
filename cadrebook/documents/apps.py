from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "cadrebook.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from cadrebook.core.append_only import guard
        from cadrebook.core.contributions import register_figure, register_report_section
        from cadrebook.documents import (
            permissions,  # noqa: F401  (declares the actions)
            unit_panels,
        )
        from cadrebook.documents.contributions import DOCUMENT_FIGURE, DOCUMENT_SECTION

        # A document's statuses are appended, never rewritten (like a member's events).
        guard("documents_documentstatuschange", "document history is append-only")
        # The statistics count the documents issued by type through this; reports never
        # names documents.
        register_figure(DOCUMENT_FIGURE)
        register_report_section(DOCUMENT_SECTION)
        # The unit page shows the unit's latest documents and the way to its register.
        unit_panels.register()
