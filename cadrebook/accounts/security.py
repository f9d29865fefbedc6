"""The Security pages: a user's own two-factor sign-in (set up with a QR code, backup codes,
turning it off) and password; and the administrator's pages that reset another user's
two-factor sign-in or set a temporary password."""

from __future__ import annotations

import base64
import binascii

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from cadrebook.accounts.forms import (
    DisableForm,
    EnrolForm,
    OwnPasswordChangeForm,
    TemporaryPasswordForm,
)
from cadrebook.accounts.selectors import (
    backup_device,
    may_administer_users,
    totp_device,
    two_factor_status,
    users_administered_by,
)
from cadrebook.accounts.services import (
    two_factor_backup_codes_renew,
    two_factor_disable,
    two_factor_enrol,
    two_factor_reset,
)
from cadrebook.accounts.session_keys import ENROLMENT_KEY, MUST_CHANGE_PASSWORD
from cadrebook.core.errors import ServiceError
from cadrebook.core.forms import add_refusal


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The user's own sign-in: two-factor status and the ways to change it."""
    return render(
        request,
        "accounts/security.html",
        {
            "status": two_factor_status(request.user),
            "administers": may_administer_users(request.user),
        },
    )


def qr_data_uri(text: str) -> str:
    """`text` as a QR code, an SVG image in a data: address: drawn here, no outside
    service ever sees the secret."""
    return str(segno.make(text, error="m").svg_data_uri(scale=5, border=2))


def _spaced(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache  # the secret and the backup codes are never kept by a cache
@login_required
def two_factor_enrol_view(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: the QR code (and the secret, for typing it in), then a
    code from the app. The app is kept only once a code from it is right; then the backup
    codes are shown, once."""
    if totp_device(request.user) is not None:
        messages.info(request, _("Two-factor sign-in is already set up."))
        return redirect("accounts:security")
    key = request.session.get(ENROLMENT_KEY)
    if not key:
        key = request.session[ENROLMENT_KEY] = default_key()
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor_enrol(
                actor=request.user, user=request.user, key=key, code=form.cleaned_data["code"]
            )
        except ServiceError as exc:
            add_refusal(form, exc)
        else:
            del request.session[ENROLMENT_KEY]
            # This session has now shown the second factor.
            otp_login(request, totp_device(request.user))
            return render(
                request,
                "accounts/backup_codes.html",
                {"codes": codes, "enrolled": True},
            )
    app = TOTPDevice(user=request.user, key=key)  # never saved: it gives the address
    secret = base64.b32encode(binascii.unhexlify(key)).decode()
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "qr": qr_data_uri(app.config_url),
            "secret": _spaced(secret),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@never_cache
@login_required
@require_POST
def backup_codes(request: HttpRequest) -> HttpResponse:
    """New backup codes (the old ones stop working), shown once."""
    try:
        codes = two_factor_backup_codes_renew(actor=request.user, user=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:security")
    return render(request, "accounts/backup_codes.html", {"codes": codes})


def _proves_identity(request: HttpRequest, secret: str) -> bool:
    """A current code from the app, a backup code, or the password. A wrong answer counts as
    a failed sign-in (lockout and audit); the codes are throttled by django-otp."""
    user = request.user
    code = "".join(secret.split()).lower()
    with transaction.atomic():
        device = totp_device(user) if code.isdigit() else backup_device(user)
        if device is not None:
            device = type(device).objects.select_for_update().get(pk=device.pk)
            if device.verify_token(code):
                return True
    if user.check_password(secret):
        return True
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), "second_factor": True},
        request=request,
    )
    return False


def _locked_out(request: HttpRequest) -> HttpResponse | None:
    """Where the user is locked out of signing in (too many wrong passwords or codes, here
    or at sign-in), a form that checks the password or a code refuses even the right one
    and signs the session out: otherwise a stolen session could go on guessing."""
    credentials = {"username": request.user.get_username()}
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    logout(request)
    return get_lockout_response(request, None, credentials)


@login_required
def two_factor_disable_view(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off, after a code or the password; not when it is mandatory."""
    status = two_factor_status(request.user)
    if not status.enrolled and not status.backup_codes_left:
        return redirect("accounts:security")
    if request.method == "POST" and (locked := _locked_out(request)) is not None:
        return locked
    form = DisableForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not _proves_identity(request, form.cleaned_data["secret"]):
            form.add_error("secret", _("That is neither a current code nor your password."))
        else:
            try:
                two_factor_disable(actor=request.user, user=request.user)
            except ServiceError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("accounts:security")
    return render(
        request,
        "accounts/two_factor_disable.html",
        {"form": form, "status": status},
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    """Change one's own password (the current one first; Django's password validators);
    this session stays signed in, the user's other sessions end."""
    if request.method == "POST" and (locked := _locked_out(request)) is not None:
        return locked
    form = OwnPasswordChangeForm(request.user, request.POST if request.method == "POST" else None)
    if form.is_bound and not form.is_valid() and "old_password" in form.errors:
        # A wrong current password is a wrong password: counted by the lockout, audited.
        user_login_failed.send(
            sender=__name__, credentials={"username": request.user.get_username()}, request=request
        )
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        request.session.pop(MUST_CHANGE_PASSWORD, None)
        messages.success(request, _("Your password is changed."))
        return redirect("accounts:security")
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "must_change": request.session.get(MUST_CHANGE_PASSWORD, False)},
        status=422 if form.is_bound and form.errors else 200,
    )


# The administrator's pages ---------------------------------------------------------------


def _administrator(request: HttpRequest) -> None:
    if not may_administer_users(request.user):
        raise PermissionDenied


@login_required
def users(request: HttpRequest) -> HttpResponse:
    """The users whose sign-in the administrator may reset, with their two-factor status."""
    _administrator(request)
    listed = (
        users_administered_by(request.user)
        .exclude(pk=request.user.pk)
        .order_by("username")
        .prefetch_related("role_assignments__unit")
    )
    query = request.GET.get("q", "").strip()
    if query:
        listed = listed.filter(username__icontains=query)
    enrolled = set(
        TOTPDevice.objects.filter(confirmed=True, user__in=listed.values("pk")).values_list(
            "user_id", flat=True
        )
    )
    rows = [(u, u.pk in enrolled) for u in listed[:200]]
    return render(request, "accounts/users.html", {"rows": rows, "q": query})


@login_required
def user_security(request: HttpRequest, pk: int) -> HttpResponse:
    """Reset another user's two-factor sign-in, or set a temporary password for them.
    403 for a user who administers nobody; 404 for a user outside the administrator's
    scope, exactly as for one that does not exist."""
    _administrator(request)
    target = get_object_or_404(
        users_administered_by(request.user).exclude(pk=request.user.pk), pk=pk
    )
    form = TemporaryPasswordForm(request.user, target)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reset_two_factor":
            try:
                two_factor_reset(actor=request.user, user=target)
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("The two-factor sign-in of %(name)s is reset.")
                    % {"name": target.get_username()},
                )
                return redirect("accounts:user_security", pk=target.pk)
        elif action == "password":
            form = TemporaryPasswordForm(request.user, target, request.POST)
            if form.is_valid():
                try:
                    form.save()
                except ServiceError as exc:
                    add_refusal(form, exc, {"password": "new_password2"})
                else:
                    messages.success(
                        request,
                        _("%(name)s has a new temporary password.")
                        % {"name": target.get_username()},
                    )
                    return redirect("accounts:user_security", pk=target.pk)
        status = 422
    else:
        status = 200
    return render(
        request,
        "accounts/user_security.html",
        {
            "target": target,
            "status": two_factor_status(target),
            "grants": target.role_assignments.select_related("unit"),
            "form": form,
        },
        status=status,
    )
