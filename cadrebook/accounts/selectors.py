"""Reads about users' grants and API tokens."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cadrebook.accounts.models import ForcedPasswordChange, RoleAssignment
from cadrebook.accounts.permissions import ADMIN
from cadrebook.accounts.roles import Role
from cadrebook.core.permissions import CHANGE, VIEW_SENSITIVE, check_action, role_actions
from cadrebook.core.scoping import Scope

# The key under which the scopes' cache keeps the grants themselves (no action is named so).
_GRANTS = " grants"


def user_scope(user: Any, action: str) -> Scope:
    """The subtrees in which `user` may perform `action` (cached on the user object).

    An action nobody declared is refused (`check_action`), never read as "no access".
    """
    check_action(action)
    cache: dict[str, Any] = user.__dict__.setdefault("_cadrebook_scopes", {})
    if action in cache:
        return cast(Scope, cache[action])
    # The user's grants are read once per user object (a request's): a page that asks the
    # scope of several actions (its own and the navigation's entries) reads them once.
    if _GRANTS not in cache:
        cache[_GRANTS] = [
            (grant.role, None if grant.unit is None else grant.unit.path)
            for grant in RoleAssignment.objects.filter(user=user).select_related("unit")
        ]
    paths: list[str] = []
    everything = False
    for role, path in cache[_GRANTS]:
        if action not in role_actions(role):
            continue
        if path is None:
            everything = True
        else:
            paths.append(path)
    # A grant inside another grant adds nothing; keep the outermost paths only.
    paths.sort()
    outer: list[str] = []
    for p in paths:
        if not any(p.startswith(o) for o in outer):
            outer.append(p)
    scope = Scope(everything, tuple(outer))
    cache[action] = scope
    return scope


def user_can(user: Any, action: str, path: str) -> bool:
    return user_scope(user, action).covers_path(path)


def token_digest(raw: str) -> str:
    """What is stored of a token's secret and looked up by: its SHA-256 digest."""
    return hashlib.sha256(raw.encode()).hexdigest()


# Two-factor sign-in and passwords ----------------------------------------------------------

# The actions that make two-factor sign-in mandatory under CADREBOOK_2FA_REQUIRED=changers:
# recording changes and reading personal data unmasked.
TWO_FACTOR_ACTIONS = frozenset({CHANGE, VIEW_SENSITIVE})


def two_factor_required(user: Any) -> bool:
    """Whether `user` must sign in with a second factor (CADREBOOK_2FA_REQUIRED): never when
    "off", always when "all", and when "changers" for superusers and for users one of whose
    roles changes records or sees personal data unmasked."""
    mode = settings.CADREBOOK_2FA_REQUIRED
    if mode == "off" or not getattr(user, "is_authenticated", False):
        return False
    if mode == "all" or user.is_superuser:
        return True
    roles = RoleAssignment.objects.filter(user=user).values_list("role", flat=True).distinct()
    return any(role_actions(role) & TWO_FACTOR_ACTIONS for role in roles)


def totp_device(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def has_second_factor(user: Any) -> bool:
    """Whether the user signs in with a second factor (an app or backup codes)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
    )


@dataclass(frozen=True)
class TwoFactorStatus:
    """What the Security pages say about a user's second factor."""

    enrolled: bool
    backup_codes_left: int
    required: bool


def two_factor_status(user: Any) -> TwoFactorStatus:
    return TwoFactorStatus(
        enrolled=TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        backup_codes_left=StaticToken.objects.filter(
            device__user=user, device__confirmed=True
        ).count(),
        required=two_factor_required(user),
    )


def backup_device(user: Any) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def must_change_password(user: Any) -> bool:
    """Whether an administrator set a temporary password the user has not replaced yet."""
    return ForcedPasswordChange.objects.filter(user=user).exists()


def users_administered_by(actor: Any) -> QuerySet[Any]:
    """The users whose sign-in `actor` may reset: every user for a national administrator;
    for an administrator of a subtree, the users all of whose grants lie inside it (a user
    with a grant elsewhere, a national grant or none is for the administrators above) and
    none of whom administers (another administrator, even of a unit below, could otherwise
    be taken over and their grants used), never a superuser or a member of staff."""
    users = get_user_model().objects.all()
    scope = user_scope(actor, ADMIN)
    if scope.everything:
        return users
    if scope.nothing:
        return users.none()
    inside: QuerySet[RoleAssignment] = RoleAssignment.objects.visible_to(actor, ADMIN)
    grants = RoleAssignment.objects.filter(user=OuterRef("pk"))
    administering = [role for role in Role.values if ADMIN in role_actions(role)]
    return (
        users.filter(Exists(grants.filter(pk__in=inside.values("pk"))))
        .exclude(Exists(grants.exclude(pk__in=inside.values("pk"))))
        .exclude(Exists(grants.filter(role__in=administering)))
        .exclude(is_superuser=True)
        .exclude(is_staff=True)
    )


def may_administer_users(actor: Any) -> bool:
    """Whether `actor` administers anybody's sign-in (holds the admin action somewhere)."""
    return not user_scope(actor, ADMIN).nothing
