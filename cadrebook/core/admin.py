"""Admin: the audit log is visible to superusers but cannot be added to, changed or deleted."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cadrebook.core.models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg,unused-ignore]
    """Domain records are written through services only; the admin shows them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_name", "action", "event_type", "object_repr"]
    list_filter = ["action", "event_type"]
    search_fields = ["object_repr", "actor_name", "request_id"]
