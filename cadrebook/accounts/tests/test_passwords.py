"""Passwords: changing one's own (Django's validators), a temporary password set by an
administrator that must be replaced, and the reset by e-mail when mail is configured."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-password"
NEW = "Another-long-passphrase-7"


def make_user(name: str, role: str = Role.CLERK, **extra: Any) -> Any:
    user = get_user_model().objects.create_user(username=name, password=PASSWORD, **extra)
    role_grant(actor=None, user=user, role=role, unit=None)
    return user


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _change(client: Client, new: str, old: str = PASSWORD) -> Any:
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_a_short_or_common_password_is_refused_with_a_clear_error(client):
    user = make_user("clerk")
    client.force_login(user)
    short = _change(client, "Ab3$x")
    assert short.status_code == 422 and "too short" in short.content.decode()
    common = _change(client, "password123")
    assert common.status_code == 422 and "too common" in common.content.decode()
    wrong_old = _change(client, NEW, old="not-my-password")
    assert wrong_old.status_code == 422 and "incorrectly" in wrong_old.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(event_type="user.password_changed").exists()


def test_changing_the_password_keeps_this_session_and_ends_the_others(client):
    user = make_user("clerk")
    other = Client()
    other.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert _change(client, NEW).status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert client.get(reverse("orgs:tree")).status_code == 200  # still signed in here
    assert other.get(reverse("orgs:tree")).status_code == 302  # signed out elsewhere
    entry = AuditEntry.objects.get(event_type="user.password_changed")
    assert entry.actor == user and entry.after == {"user": "clerk", "via": "change"}
    assert PASSWORD not in str(entry.after) and NEW not in str(entry.after)


def test_a_temporary_password_must_be_replaced_before_anything_else(client):
    admin = make_user("national", Role.ADMINISTRATOR)
    clerk = make_user("clerk")
    as_admin = Client()
    as_admin.force_login(admin)
    url = reverse("accounts:user_security", args=[clerk.pk])
    weak = as_admin.post(
        url, {"action": "password", "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert weak.status_code == 422 and "too common" in weak.content.decode()
    temporary = "Temporary-pass-2025"
    response = as_admin.post(
        url,
        {
            "action": "password",
            "new_password1": temporary,
            "new_password2": temporary,
            "must_change": "on",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(event_type="user.password_reset")
    assert entry.actor == admin and entry.after == {"user": "clerk", "must_change": True}

    client.post(reverse("login"), {"username": "clerk", "password": temporary})
    assert signed_in(client)
    held = client.get(reverse("members:list"))
    assert held.status_code == 302 and held["Location"] == reverse("accounts:password_change")
    page = client.get(reverse("accounts:password_change"))
    assert 'data-testid="must-change"' in page.content.decode()
    assert _change(client, NEW, old=temporary).status_code == 302
    assert client.get(reverse("members:list")).status_code == 200
    # Next time, no detour.
    fresh = Client()
    fresh.post(reverse("login"), {"username": "clerk", "password": NEW})
    assert fresh.get(reverse("members:list")).status_code == 200


def test_without_mail_the_sign_in_page_says_to_ask_an_administrator(client, settings):
    settings.EMAIL_HOST = ""
    page = client.get(reverse("login")).content.decode()
    assert "Ask an administrator" in page and reverse("password_reset") not in page
    assert client.get(reverse("password_reset")).status_code == 404
    assert client.post(reverse("password_reset"), {"email": "a@b.c"}).status_code == 404
    assert len(mail.outbox) == 0


def test_with_mail_a_reset_link_is_sent_and_sets_a_new_password(client, settings):
    settings.EMAIL_HOST = "smtp.example.org"  # the tests' mail goes to django's locmem outbox
    user = make_user("clerk", email="clerk@example.org")
    page = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in page
    response = client.post(reverse("password_reset"), {"email": "clerk@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["clerk@example.org"]
    link = re.search(r"https?://testserver(/login/forgot/\S+/)", mail.outbox[0].body).group(1)
    # The link shows the form at an address without the token (Django's way).
    form_page = client.get(link)
    assert form_page.status_code == 302
    set_url = form_page["Location"]
    short = client.post(set_url, {"new_password1": "abc", "new_password2": "abc"})
    assert short.status_code == 200 and "too short" in short.content.decode()
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW)
    entry = AuditEntry.objects.get(event_type="user.password_changed")
    assert entry.after["via"] == "reset_link"
    # The link works once.
    assert "does not work" in client.get(link, follow=True).content.decode()
    # An address nobody has gets the same answer and no mail.
    client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert len(mail.outbox) == 1


def test_wrong_current_passwords_count_for_the_lockout_and_end_the_session(client, settings):
    user = make_user("clerk")
    client.force_login(user)
    for n in range(settings.AXES_FAILURE_LIMIT):
        assert _change(client, NEW, old=f"wrong-guess-{n}").status_code in (422, 403, 429)
    right = _change(client, NEW)
    assert right.status_code in (403, 429) and not signed_in(client)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    failed = AuditEntry.objects.filter(event_type="auth.sign_in_failed").count()
    assert failed >= settings.AXES_FAILURE_LIMIT - 1


def test_the_new_password_must_differ_from_the_current_one(client):
    user = make_user("clerk")
    client.force_login(user)
    same = _change(client, PASSWORD)
    assert same.status_code == 422 and "must differ" in same.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_asking_for_a_reset_answers_alike_for_an_account_and_for_none(client, settings):
    """The lookup and the mail happen in the background: the page does the same work, and
    sends nothing itself, whether an account has the address or not."""
    from django_tasks import default_task_backend

    settings.EMAIL_HOST = "smtp.example.org"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    make_user("clerk", email="clerk@example.org")
    answers = [
        client.post(reverse("password_reset"), {"email": address})
        for address in ("clerk@example.org", "nobody@example.org")
    ]
    assert [(a.status_code, a["Location"]) for a in answers] == [
        (302, reverse("password_reset_done"))
    ] * 2
    assert mail.outbox == []
    queued = [r.args or r.kwargs for r in default_task_backend.results]
    assert [q["email"] for q in queued] == ["clerk@example.org", "nobody@example.org"]
