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
