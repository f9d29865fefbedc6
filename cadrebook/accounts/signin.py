"""Signing in: the password, then (for a user with an authenticator app) a code from the
app or a backup code; and the password reset by e-mail, offered when mail is configured.

Nobody is signed in between the two steps: the first keeps who gave the right password in
the session for a few minutes (`PENDING_SIGN_IN`), the second signs them in once the code is
right. A wrong code counts as a failed sign-in for the lockout (django-axes) and the audit,
and django-otp slows each device down after every failure (its throttling)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from cadrebook.accounts.forms import CodeForm, MailResetForm, ResetLinkPasswordForm
from cadrebook.accounts.selectors import has_second_factor
from cadrebook.accounts.session_keys import PENDING_SIGN_IN, TIMED_OUT

# How long the second step waits for the code after the right password.
PENDING_SECONDS = 300


def mail_configured() -> bool:
    """Password reset by e-mail is offered only when a mail server is named."""
    return bool(settings.EMAIL_HOST)


class SignInView(auth_views.LoginView):
    """Django's sign-in page; a user with a second factor is asked for a code next."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["reset_by_mail"] = mail_configured()
        context["timed_out"] = self.request.session.pop(TIMED_OUT, False)
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not has_second_factor(user):
            return super().form_valid(form)
        self.request.session[PENDING_SIGN_IN] = {
            "user": user.pk,
            "backend": user.backend,
            "at": int(time.time()),
            "next": self.get_redirect_url(),
        }
        return redirect("login_verify")


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    pending = request.session.get(PENDING_SIGN_IN)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    return (user, pending) if user is not None else None


def _matching_device(user: Any, code: str) -> tuple[Any, str] | str:
    """The device that accepts `code` and the factor it is ("totp" or "backup_code"), or
    why none did: six digits are the app's, anything else a backup code. A wrong code
    makes the device wait longer before the next try (django-otp's throttling)."""
    model, factor = (TOTPDevice, "totp") if code.isdigit() else (StaticDevice, "backup_code")
    refusal = _("That code is not right, or it was used already.")
    with transaction.atomic():
        for device in model.objects.filter(user=user, confirmed=True).select_for_update():
            allowed, _details = device.verify_is_allowed()
            if not allowed:
                refusal = _("Too many wrong codes: wait a few seconds, then try again.")
            elif device.verify_token(code):
                return device, factor
    return refusal


def sign_in_verify(request: HttpRequest) -> HttpResponse:
    """The second step: the code from the app or a backup code."""
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING_SIGN_IN, None)
        messages.info(request, _("Sign in again: the code was not given in time."))
        return redirect("login")
    user, pending = found
    credentials = {"username": user.get_username(), "second_factor": True}
    if not AxesProxyHandler.is_allowed(request, credentials):
        request.session.pop(PENDING_SIGN_IN, None)
        return get_lockout_response(request, None, credentials)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        matched = _matching_device(user, form.cleaned_data["code"])
        if not isinstance(matched, str):
            device, factor = matched
            del request.session[PENDING_SIGN_IN]
            user.backend = pending["backend"]
            request.cadrebook_second_factor = factor  # type: ignore[attr-defined]
            auth_login(request, user, pending["backend"])
            otp_login(request, device)
            if factor == "backup_code":
                left = device.token_set.count()
                messages.warning(
                    request,
                    _(
                        "You signed in with a backup code; %(count)d are left. Make new ones "
                        "on your Security page if you are running out."
                    )
                    % {"count": left},
                )
            return redirect(pending.get("next") or settings.LOGIN_REDIRECT_URL)
        # Counted like a wrong password: the lockout and the audit see it.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING_SIGN_IN, None)
            return get_lockout_response(request, None, credentials)
        form.add_error("code", matched)
    return render(
        request,
        "registration/verify.html",
        {"form": form, "username": user.get_username()},
        status=422 if form.is_bound and form.errors else 200,
    )


def _mail_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The reset-by-e-mail pages exist only when a mail server is configured."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not mail_configured():
            raise Http404(_("Password reset by e-mail is not set up here."))
        return view(request, *args, **kwargs)

    return wrapped


password_reset = _mail_only(
    auth_views.PasswordResetView.as_view(
        form_class=MailResetForm,
        template_name="accounts/password_reset_form.html",
        email_template_name="accounts/password_reset_email.txt",
        subject_template_name="accounts/password_reset_subject.txt",
        success_url=reverse_lazy("password_reset_done"),
    )
)
password_reset_done = _mail_only(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)
password_reset_confirm = _mail_only(
    auth_views.PasswordResetConfirmView.as_view(
        form_class=ResetLinkPasswordForm,
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("password_reset_complete"),
    )
)
password_reset_complete = _mail_only(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"
    )
)
