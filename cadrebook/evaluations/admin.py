from django.contrib import admin

from cadrebook.core.admin import ReadOnlyAdmin
from cadrebook.evaluations.models import Target


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    """Targets are set through the service (pages, API, import), which audits them."""

    list_display = ["unit", "year", "indicator", "target", "updated_at", "updated_by"]
    list_filter = ["year", "indicator"]
    search_fields = ["unit__code"]
