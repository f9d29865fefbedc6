"""Background tasks of the accounts (Django tasks; run by `cadrebook db_worker`)."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordResetForm
from django_tasks import task


@task()
def send_password_reset(
    email: str, domain: str, use_https: bool, email_template: str, subject_template: str
) -> None:
    """Mail a reset link to the active users with the address `email`, if there are any.

    The page that asks for it answers at once, the same way whether an account has that
    address or not: looking the address up and talking to the mail server happen here, so
    how long the page takes cannot tell anybody whether the account exists."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=domain,
            use_https=use_https,
            email_template_name=email_template,
            subject_template_name=subject_template,
        )
