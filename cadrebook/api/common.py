"""What every router of the API shares: where it is mounted, and the two refusals that scoping
gives (a missing or out-of-scope object; an object in scope whose action the role lacks)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError

API_ROOT = "/api/v1"  # where the routers are mounted (Location headers name created objects)


def found(queryset: QuerySet[Any], **lookup: Any) -> Any:
    """The object, or the API's 404 (the same for a missing object and one out of scope)."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise not_found()
    return obj


def not_found() -> ServiceError:
    return ServiceError("not_found", _("Not found."))


def forbidden() -> ServiceError:
    """For an object the caller may see, when their role does not allow the action."""
    return ServiceError("forbidden", _("Your role does not allow this here."))
