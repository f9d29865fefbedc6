from django.contrib import admin

from cadrebook.core.admin import ReadOnlyAdmin
from cadrebook.evaluations.models import Rating, Round, Target


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    """Targets are set through the service (pages, API, import), which audits them."""

    list_display = ["unit", "year", "indicator", "target", "updated_at", "updated_by"]
    list_filter = ["year", "indicator"]
    search_fields = ["unit__code"]


@admin.register(Round)
class RoundAdmin(ReadOnlyAdmin):
    """Rounds are opened and closed through the services, which audit them."""

    list_display = ["kind", "year", "unit", "reference_date", "status", "closed_at"]
    list_filter = ["year", "kind", "status"]
    search_fields = ["unit__code"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    """Ratings follow the decisions (and the imports of earlier years)."""

    list_display = ["year", "subject_kind", "member", "unit", "level", "label", "source"]
    list_filter = ["year", "subject_kind", "level", "source"]
    search_fields = ["unit__code", "member__external_id"]
