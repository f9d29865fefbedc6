"""The interface language is remembered for the user, on any machine."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from cadrebook.accounts.models import Preference

pytestmark = pytest.mark.django_db


def test_the_chosen_language_follows_the_user_to_another_browser():
    user = get_user_model().objects.create_user(username="clerk")
    first = Client()
    first.force_login(user)
    response = first.post(reverse("set_language"), {"language": "km", "next": "/units/"})
    assert response.status_code == 302 and response["Location"] == "/units/"
    assert Preference.objects.get(user=user).language == "km"
    other = Client(HTTP_ACCEPT_LANGUAGE="vi")  # another machine, a Vietnamese browser
    other.force_login(user)
    page = other.get(reverse("orgs:tree"))
    assert '<html lang="km">' in page.content.decode()


def test_an_unknown_language_or_a_foreign_next_address_is_refused():
    user = get_user_model().objects.create_user(username="clerk")
    c = Client()
    c.force_login(user)
    assert c.post(reverse("set_language"), {"language": "xx"}).status_code == 400
    assert not Preference.objects.exists()
    response = c.post(reverse("set_language"), {"language": "vi", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    anonymous = Client()
    response = anonymous.post(reverse("set_language"), {"language": "vi", "next": "/login/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "vi"
