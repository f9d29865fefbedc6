from django.contrib import admin

from cadrebook.accounts.models import RoleAssignment
from cadrebook.core.admin import ReadOnlyAdmin


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["user", "role", "unit"]
