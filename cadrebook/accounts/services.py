"""Writes about users and grants."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.accounts.models import ApiToken, Preference, RoleAssignment
from cadrebook.accounts.selectors import token_digest
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


TOKEN_PREFIX = "cb_"


def token_create(
    *, actor: Any, user: Any, name: str, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a personal API token for `user`; returns it and its secret, which is shown
    once and never stored (only its digest is)."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("token.name_missing", _("A token needs a name."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError(
            "token.expired", _("The expiry date must lie in the future."), field="expires_at"
        )
    if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise ServiceError(
            "token.name_taken",
            _("You already have a token named %(name)s.") % {"name": name},
            field="name",
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw[:10], digest=token_digest(raw), expires_at=expires_at
        )
        audit_record(
            actor=actor,
            obj=token,
            action="create",
            event_type="token.created",
            after={"name": name, "user": user.username, "expires_at": expires_at},
        )
    return token, raw


def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token at once; it stays listed, marked revoked."""
    with transaction.atomic():
        current = ApiToken.objects.select_for_update().get(pk=token.pk)
        if current.revoked_at is None:
            current.revoked_at = timezone.now()
            current.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                obj=current,
                action="update",
                event_type="token.revoked",
                after={"name": current.name, "user": current.user.username},
            )
    return current


def _home_unit(user: Any) -> Any:
    """The unit of the user's shallowest grant, which scopes the audit entries about their
    sign-ins (None for national users and unknown names: national administrators see them)."""
    if user is None or not getattr(user, "pk", None):
        return None
    grants = list(RoleAssignment.objects.filter(user=user).select_related("unit"))
    units = [g.unit for g in grants if g.unit is not None]
    if not units or len(units) < len(grants):  # no grant, or a national one
        return None
    return min(units, key=lambda u: (u.depth, u.path))


def sign_in_record(*, user: Any, address: str, via: str = "browser") -> None:
    """Audit a successful sign-in (who, from which address, how)."""
    audit_record(
        actor=user,
        obj=user,
        action="login",
        event_type="auth.signed_in",
        unit=_home_unit(user),
        after={"address": address, "via": via},
    )


def sign_in_failure_record(*, username: str, address: str, via: str, reason: str) -> None:
    """Audit a refused sign-in: a wrong password or an unknown name in the browser, or a
    token that is unknown, revoked or expired. The entry names the account tried when it
    exists, so the administrator of its unit sees attacks on it."""
    user_model = get_user_model()
    username = (username or "")[:150]
    user = user_model.objects.filter(username=username).first() if username else None
    audit_record(
        actor=None,
        obj=user if user is not None else user_model(username=username),
        action="refused",
        event_type="auth.sign_in_failed",
        unit=_home_unit(user),
        after={"username": username, "address": address, "via": via, "reason": reason},
    )
