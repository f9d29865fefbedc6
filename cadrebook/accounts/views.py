"""The user's own settings: the language (remembered for the user, not only for the
browser) and personal API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from cadrebook.accounts.models import ApiToken
from cadrebook.accounts.services import preference_set_language, token_create, token_revoke
from cadrebook.core.errors import ServiceError
from cadrebook.core.forms import add_refusal

SESSION_KEY = "cadrebook_language"


@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in user keeps it on every machine."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    if request.user.is_authenticated:
        preference_set_language(user=request.user, language=language)
        request.session[SESSION_KEY] = language
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_lazy("Name"),
        max_length=100,
        help_text=_lazy("What it is for, e.g. provincial portal."),
    )
    expires = forms.DateField(
        label=_lazy("Last day it works"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_lazy("Leave empty for a token that works until it is revoked."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's personal API tokens: create one (shown once), list them, revoke one."""
    form = TokenForm(request.POST if request.POST.get("create") else None)
    created = ""
    if form.is_bound and form.is_valid():
        day = form.cleaned_data.get("expires")
        expires = (
            timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
            if day
            else None
        )
        try:
            _token, created = token_create(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=expires,
            )
        except ServiceError as exc:
            add_refusal(form, exc, {"expires_at": "expires"})
        else:
            form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": ApiToken.objects.filter(user__username=request.user.get_username()),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens, after confirmation (GET asks, POST revokes)."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    if request.method == "POST":
        token_revoke(actor=request.user, token=token)
        messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
        return redirect("accounts:tokens")
    return render(request, "accounts/token_revoke.html", {"token": token})
