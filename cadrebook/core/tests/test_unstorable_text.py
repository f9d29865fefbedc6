"""Text no record can store (a NUL, half of a surrogate pair) in a web page's address is
refused with a 400 page before any view sends it to the database (on PostgreSQL a NUL in a
query was a 500); the API refuses it with its 422, by the same check."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.unstorable import first_unstorable, is_unstorable

PAGES = [
    "/units/P/?q=%00x",
    "/units/-/lookup/?q=%00x",
    "/units/P/children/?q=a%00",
    "/members/?q=a%00b",
    "/members/lookup/sponsors/?q=%00x",
    "/audit/object/members.member/%00/",
    "/audit/unit/P%00/",
    "/reports/?%00=1",
]


@pytest.fixture
def admin_client(client: Any, django_user_model: Any, tree: SimpleNamespace) -> Any:
    user = django_user_model.objects.create_user(username="nat")
    role_grant(actor=None, user=user, role=Role.ADMINISTRATOR, unit=None)
    client.force_login(user)
    return client


@pytest.mark.parametrize("address", PAGES)
def test_a_web_address_with_text_no_record_can_store_is_answered_400_with_a_page(
    admin_client: Any, address: str
):
    response = admin_client.get(address)
    assert response.status_code == 400, response.content[:300]
    body = response.content.decode()
    assert 'data-testid="unstorable-text"' in body
    assert "a character no record can store" in body
    assert "\x00" not in body.split("<body", 1)[1].split('name="next"', 1)[0]


def test_the_refusal_page_names_the_parameter(admin_client: Any):
    body = admin_client.get("/members/?unit=P&q=a%00").content.decode()
    assert "in q, a character" in body
    body = admin_client.get("/units/P%00/").content.decode()
    assert "in path, a character" in body


def test_ordinary_addresses_pass(admin_client: Any):
    assert admin_client.get("/units/P/?q=x").status_code == 200


def test_the_api_answers_the_same_text_with_its_422(admin_client: Any):
    response = admin_client.get("/api/v1/units?q=%00x")
    assert response.status_code in (401, 422)  # a session is no API credential; the check first
    assert response.json()["code"] == "value.invalid_character"


def test_the_check_names_the_first_place_holding_such_text():
    assert is_unstorable("a\x00") and is_unstorable("\udc80") and not is_unstorable("Đảng")
    inputs = [(("path",), "/x/"), (("q",), "ok"), (("unit",), "P\x00")]
    assert first_unstorable(inputs) == ("unit",)
    assert first_unstorable(inputs[:2]) is None
