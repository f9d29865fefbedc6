"""Logging in: argon2 password hashes and throttled attempts."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_passwords_are_stored_as_argon2_hashes():
    user = get_user_model().objects.create_user(username="a", password="long-enough-pw")
    assert user.password.startswith("argon2")


def test_repeated_wrong_passwords_lock_the_login_even_with_the_right_one(client, settings):
    get_user_model().objects.create_user(username="clerk", password="right-password-1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "clerk", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "clerk", "password": "right-password-1"})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (403, 429)


def test_the_right_password_logs_in(client):
    get_user_model().objects.create_user(username="clerk", password="right-password-1")
    response = client.post(reverse("login"), {"username": "clerk", "password": "right-password-1"})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_one_password_sprayed_over_many_accounts_locks_the_address(client, settings):
    settings.CADREBOOK_LOGIN_FAILURE_LIMIT_PER_ADDRESS = 8
    users = get_user_model().objects
    users.create_user(username="clerk", password="right-password-1")
    for n in range(8):  # one try per account: no (user, address) pair reaches its limit
        users.create_user(username=f"officer{n}", password=f"another-password-{n}")
        client.post(reverse("login"), {"username": f"officer{n}", "password": "Summer2025!"})
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("login"), {"username": "clerk", "password": "right-password-1"})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (403, 429)
    other = Client(REMOTE_ADDR="10.9.9.9")
    response = other.post(reverse("login"), {"username": "clerk", "password": "right-password-1"})
    assert response.status_code == 302, "another address is not locked out"


def test_a_few_failures_from_an_address_lock_nobody_else_out(client, settings):
    users = get_user_model().objects
    users.create_user(username="clerk", password="right-password-1")
    for n in range(settings.AXES_FAILURE_LIMIT):
        users.create_user(username=f"officer{n}", password=f"another-password-{n}")
        client.post(reverse("login"), {"username": f"officer{n}", "password": "typo"})
    response = client.post(reverse("login"), {"username": "clerk", "password": "right-password-1"})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_sign_ins_and_refused_sign_ins_are_audited_where_the_accounts_administrator_sees_them(
    client,
):
    from cadrebook.accounts.roles import Role
    from cadrebook.accounts.services import role_grant
    from cadrebook.core.models import AuditEntry
    from cadrebook.orgs.services import unit_create

    users = get_user_model().objects
    p1 = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    p2 = unit_create(actor=None, code="P2", name="Tỉnh Hai", kind="province_committee")
    clerk = users.create_user(username="clerk", password="right-password-1")
    role_grant(actor=None, user=clerk, role=Role.CLERK, unit=p1)
    organizer, outsider = users.create_user(username="org"), users.create_user(username="out")
    role_grant(actor=None, user=organizer, role=Role.ORGANIZER, unit=p1)
    role_grant(actor=None, user=outsider, role=Role.ORGANIZER, unit=p2)

    client.post(reverse("login"), {"username": "clerk", "password": "wrong"})
    client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    client.post(reverse("login"), {"username": "clerk", "password": "right-password-1"})

    failed = AuditEntry.objects.filter(event_type="auth.sign_in_failed").order_by("id")
    assert [(e.action, e.after["username"], e.after["via"]) for e in failed] == [
        ("refused", "clerk", "browser"),
        ("refused", "nobody", "browser"),
    ]
    assert failed[0].object_id == str(clerk.pk) and failed[0].unit == p1
    assert failed[1].unit is None  # an unknown name: the national administrators see it
    signed_in = AuditEntry.objects.get(event_type="auth.signed_in")
    assert signed_in.actor == clerk and signed_in.after["address"] == "127.0.0.1"
    seen = AuditEntry.objects.visible_to(organizer, "audit")
    assert set(seen.filter(event_type__startswith="auth.").values_list("id", flat=True)) == {
        failed[0].id,
        signed_in.id,
    }
    assert not AuditEntry.objects.visible_to(outsider, "audit").filter(
        event_type__startswith="auth."
    )
