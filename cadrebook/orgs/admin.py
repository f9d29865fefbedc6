from django.contrib import admin

from cadrebook.core.admin import ReadOnlyAdmin
from cadrebook.orgs.models import OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "founded_on", "dissolved_on"]
    search_fields = ["code", "name_norm"]
