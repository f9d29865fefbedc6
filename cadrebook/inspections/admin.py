from django.contrib import admin

from cadrebook.core.admin import ReadOnlyAdmin
from cadrebook.inspections.models import Appeal, Discipline, Inspection, InspectionProgram


@admin.register(InspectionProgram)
class InspectionProgramAdmin(ReadOnlyAdmin):
    """Programs are written through the services, which audit them."""

    list_display = ["body", "body_kind", "year", "title"]
    list_filter = ["year", "body_kind"]
    search_fields = ["body__code", "title"]


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    """Inspections are opened, stepped and concluded through the services."""

    list_display = ["code", "body", "body_kind", "kind", "decided_on", "concluded_on"]
    list_filter = ["kind", "body_kind", "from_higher_level"]
    search_fields = ["code", "body__code"]


@admin.register(Discipline)
class DisciplineAdmin(ReadOnlyAdmin):
    """Disciplines are decided through the services, which check the rule set."""

    list_display = ["subject_kind", "member", "unit", "form", "body", "decided_on", "status"]
    list_filter = ["subject_kind", "form", "status"]
    search_fields = ["unit__code", "member__external_id"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    """Appeals are lodged and decided through the services."""

    list_display = ["discipline", "lodged_on", "body", "outcome", "decided_on"]
    list_filter = ["outcome"]
