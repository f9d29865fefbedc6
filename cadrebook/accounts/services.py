"""Writes about users and grants."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.accounts.models import Preference, RoleAssignment
from cadrebook.core.audit import audit_record
from cadrebook.core.errors import ServiceError


def role_grant(*, actor: Any, user: Any, role: str, unit: Any = None) -> RoleAssignment:
    """Give `user` the `role` on `unit`'s subtree (national when `unit` is None)."""
    with transaction.atomic():
        grant, created = RoleAssignment.objects.get_or_create(user=user, role=role, unit=unit)
        if created:
            audit_record(
                actor=actor,
                obj=grant,
                action="create",
                event_type="role.granted",
                unit=unit,
                after={"user": user.username, "role": role, "unit": getattr(unit, "code", None)},
            )
        user.__dict__.pop("_cadrebook_scopes", None)
        return grant


def user_create(*, actor: Any, username: str, password: str, email: str = "") -> Any:
    """Create a login; the password is hashed with argon2."""
    user_model = get_user_model()
    with transaction.atomic():
        if user_model.objects.filter(username=username).exists():
            raise ServiceError(
                "user.exists",
                _("A user named %(name)s exists.") % {"name": username},
                field="username",
            )
        user = user_model.objects.create_user(username=username, password=password, email=email)
        audit_record(
            actor=actor,
            obj=user,
            action="create",
            event_type="user.created",
            after={"username": username},
        )
        return user


def preference_set_language(*, user: Any, language: str) -> Preference:
    """Remember the interface language a user chose (one of settings.LANGUAGES); the user
    is the actor (nobody chooses for someone else)."""
    if language not in dict(settings.LANGUAGES):
        raise ServiceError(
            "preference.language_unknown",
            _("Unknown language %(code)s.") % {"code": language},
            field="language",
        )
    with transaction.atomic():
        before = Preference.objects.filter(user=user).values_list("language", flat=True).first()
        preference, _created = Preference.objects.update_or_create(
            user=user, defaults={"language": language}
        )
        if before != language:
            audit_record(
                actor=user,
                obj=preference,
                action="update",
                event_type="preference.language",
                before={"language": before} if before else None,
                after={"language": language},
            )
    return preference
