"""Writes about users and grants."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cadrebook.accounts.models import ApiToken, ForcedPasswordChange, Preference, RoleAssignment
from cadrebook.accounts.selectors import (
    token_digest,
    two_factor_required,
    users_administered_by,
)
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


def sign_in_record(
    *, user: Any, address: str, via: str = "browser", second_factor: str = ""
) -> None:
    """Audit a successful sign-in (who, from which address, how, and with which second
    factor: "totp", "backup_code", or none)."""
    after = {"address": address, "via": via}
    if second_factor:
        after["second_factor"] = second_factor
    audit_record(
        actor=user,
        obj=user,
        action="login",
        event_type="auth.signed_in",
        unit=_home_unit(user),
        after=after,
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


# Two-factor sign-in -------------------------------------------------------------------------

BACKUP_CODE_COUNT = 10


def _new_backup_codes(user: Any) -> list[str]:
    """Replace the user's backup codes by BACKUP_CODE_COUNT new ones (inside the caller's
    transaction); returns them, to be shown once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def two_factor_enrol(*, actor: Any, user: Any, key: str, code: str) -> list[str]:
    """Confirm `user`'s authenticator app: the secret `key` (hex) the app was given and a
    `code` it shows now. The app is kept only if the code is right; returns the new backup
    codes, which are shown once. Refused when the user already has an app."""
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ServiceError(
                "two_factor.enrolled",
                _("Two-factor sign-in is already set up. Turn it off first to use another app."),
            )
        TOTPDevice.objects.filter(user=user).delete()  # an unconfirmed leftover, if any
        device = TOTPDevice(user=user, name="app", key=key, confirmed=False)
        # verify_token remembers the time step it accepted, so the code cannot be used again.
        if not device.verify_token((code or "").strip().replace(" ", "")):
            raise ServiceError(
                "two_factor.wrong_code",
                _("That code is not right. Check the time on your phone and try the next code."),
                field="code",
            )
        device.confirmed = True
        device.save()
        codes = _new_backup_codes(user)
        audit_record(
            actor=actor,
            obj=user,
            action="update",
            event_type="two_factor.enrolled",
            unit=_home_unit(user),
            after={"user": user.username, "backup_codes": len(codes)},
        )
    return codes


def two_factor_backup_codes_renew(*, actor: Any, user: Any) -> list[str]:
    """New backup codes for `user` (the old ones stop working); returns them, shown once.
    Refused when the user has no authenticator app."""
    with transaction.atomic():
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ServiceError("two_factor.not_enrolled", _("Set up two-factor sign-in first."))
        codes = _new_backup_codes(user)
        audit_record(
            actor=actor,
            obj=user,
            action="update",
            event_type="two_factor.backup_codes_renewed",
            unit=_home_unit(user),
            after={"user": user.username, "backup_codes": len(codes)},
        )
    return codes


def _remove_devices(user: Any) -> int:
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    return removed


def two_factor_disable(*, actor: Any, user: Any) -> None:
    """The user turns their own two-factor sign-in off (the app and the backup codes).
    Refused when CADREBOOK_2FA_REQUIRED makes it mandatory for them; the page asks for a
    current code or the password first."""
    if two_factor_required(user):
        raise ServiceError(
            "two_factor.required",
            _("Two-factor sign-in is mandatory for your roles: it cannot be turned off."),
        )
    with transaction.atomic():
        _remove_devices(user)
        audit_record(
            actor=actor,
            obj=user,
            action="update",
            event_type="two_factor.disabled",
            unit=_home_unit(user),
            after={"user": user.username},
        )


def _check_administers(actor: Any, user: Any) -> None:
    """An administrator acts on users in their scope and never on themselves here (their own
    Security page asks for their password or a code); `actor` None is the command line."""
    if actor is None:
        return
    if getattr(actor, "pk", None) == user.pk:
        raise ServiceError(
            "account.self", _("Use your own Security page to change your own sign-in.")
        )
    if not users_administered_by(actor).filter(pk=user.pk).exists():
        raise ServiceError("account.out_of_scope", _("This user is not found."))


def two_factor_reset(*, actor: Any, user: Any) -> int:
    """An administrator (or `cadrebook reset2fa`, actor None) removes `user`'s authenticator
    app and backup codes, e.g. after a lost phone; the user signs in with the password alone
    and sets up a new app (at once, when it is mandatory for them). Returns how many devices
    were removed."""
    _check_administers(actor, user)
    with transaction.atomic():
        removed = _remove_devices(user)
        audit_record(
            actor=actor,
            obj=user,
            action="update",
            event_type="two_factor.reset",
            unit=_home_unit(user),
            after={"user": user.username, "devices_removed": removed},
        )
    return removed


# Passwords ----------------------------------------------------------------------------------


def _validated(password: str, user: Any) -> str:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError("password.invalid", " ".join(exc.messages), field="password") from exc
    return password


def password_change(*, actor: Any, user: Any, password: str, via: str = "change") -> None:
    """`user` chooses a new password (on the Security page, or through an e-mailed reset
    link: `via` "reset_link"); checked by Django's password validators. A temporary password
    set by an administrator is then no longer pending. Other sessions of the user end (their
    session hash no longer matches)."""
    _validated(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        ForcedPasswordChange.objects.filter(user=user).delete()
        audit_record(
            actor=actor,
            obj=user,
            action="update",
            event_type="user.password_changed",
            unit=_home_unit(user),
            after={"user": user.username, "via": via},
        )


def password_reset(*, actor: Any, user: Any, password: str, must_change: bool = True) -> None:
    """An administrator sets a temporary password for `user` (checked by Django's password
    validators); with `must_change` the user must choose their own at the next sign-in.
    The user's sessions end."""
    _check_administers(actor, user)
    _validated(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        if must_change:
            ForcedPasswordChange.objects.update_or_create(
                user=user, defaults={"set_by": actor if getattr(actor, "pk", None) else None}
            )
        else:
            ForcedPasswordChange.objects.filter(user=user).delete()
        audit_record(
            actor=actor,
            obj=user,
            action="update",
            event_type="user.password_reset",
            unit=_home_unit(user),
            after={"user": user.username, "must_change": must_change},
        )
