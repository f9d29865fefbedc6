"""The sign-in's second step, the Security page's forms and the administrator's password
form. The forms parse input; the writes (and the audit) are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from cadrebook.accounts.services import password_change, password_reset


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs.setdefault("class", "form-check-input")
        else:
            field.widget.attrs.setdefault("class", "form-control")


class CodeForm(forms.Form):
    """A code from the authenticator app (six digits) or a backup code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text=_("The six digits your authenticator app shows, or one of your backup codes."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).replace("-", "").lower()


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class DisableForm(forms.Form):
    secret = forms.CharField(
        label=_("A code from your app, a backup code, or your password"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "autofocus": True}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's form (the old password, the new one twice, the password validators); the
    new password is kept by the service, which audits it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        new = data.get("new_password2")
        # A temporary password set by an administrator must not stay: they know it.
        if new and not self.has_error("new_password2") and self.user.check_password(new):
            self.add_error(
                "new_password2",
                forms.ValidationError(
                    _("The new password must differ from the current one."),
                    code="password_unchanged",
                ),
            )
        return data

    def save(self, commit: bool = True) -> Any:
        password_change(
            actor=self.user, user=self.user, password=self.cleaned_data["new_password1"]
        )
        return self.user


class ResetLinkPasswordForm(SetPasswordForm):
    """The new password chosen through an e-mailed reset link."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def save(self, commit: bool = True) -> Any:
        password_change(
            actor=self.user,
            user=self.user,
            password=self.cleaned_data["new_password1"],
            via="reset_link",
        )
        return self.user


class TemporaryPasswordForm(SetPasswordForm):
    """An administrator sets a temporary password for another user."""

    must_change = forms.BooleanField(
        label=_("The user must choose a new password at the next sign-in"),
        required=False,
        initial=True,
    )

    def __init__(self, actor: Any, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.actor = actor
        _style(self)

    def save(self, commit: bool = True) -> Any:
        password_reset(
            actor=self.actor,
            user=self.user,
            password=self.cleaned_data["new_password1"],
            must_change=self.cleaned_data["must_change"],
        )
        return self.user


class MailResetForm(PasswordResetForm):
    """Ask for a reset link by e-mail (only offered when a mail server is configured). The
    link is looked for and mailed by a background task (`tasks.send_password_reset`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def save(self, **kwargs: Any) -> None:  # type: ignore[override]
        from cadrebook.accounts.tasks import send_password_reset

        request = kwargs.get("request")
        domain = kwargs.get("domain_override") or (request.get_host() if request else "")
        send_password_reset.enqueue(
            email=self.cleaned_data["email"],
            domain=domain,
            use_https=bool(kwargs.get("use_https")),
            email_template=kwargs["email_template_name"],
            subject_template=kwargs["subject_template_name"],
        )
