from django.contrib import admin

from cadrebook.core.admin import ReadOnlyAdmin
from cadrebook.members.models import Member, MemberEvent


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "status", "unit"]
    search_fields = ["name_norm"]
    list_select_related = ["unit"]


@admin.register(MemberEvent)
class MemberEventAdmin(ReadOnlyAdmin):
    list_display = ["member", "type", "date", "document"]
