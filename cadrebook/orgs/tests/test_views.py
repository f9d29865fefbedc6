"""The unit page: the units below as the tree stood on a date, and a date it cannot read said
as the member list says it (issue 14), not silently replaced by today."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant


@pytest.fixture
def viewer(tree: Any, client: Any) -> Any:
    user = get_user_model().objects.create_user(username="viewer")
    role_grant(actor=None, user=user, role=Role.VIEWER, unit=tree.P)
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    ("as_of", "words"),
    [
        ("2025-13-01", "Enter a valid date."),
        ("yesterday", "Enter a valid date."),
        ("0001-01-01", "The year must be between 1900 and 2100."),
        ("2999-01-01", "The year must be between 1900 and 2100."),
    ],
)
def test_a_date_the_page_cannot_use_is_said_and_todays_tree_shown(
    viewer: Any, client: Any, as_of: str, words: str
) -> None:
    response = client.get(reverse("orgs:detail", args=["G1"]), {"as_of": as_of})
    assert response.status_code == 200
    assert response.context["as_of"] is None and response.context["as_of_error"] == words
    page = response.content.decode()
    assert 'data-testid="as-of-error"' in page and words in page
    assert [r["unit"].code for r in response.context["children"]] == ["K1", "K2"]


def test_a_readable_date_or_none_shows_no_error(viewer: Any, client: Any) -> None:
    for params in ({}, {"as_of": ""}, {"as_of": "2025-06-30"}):
        response = client.get(reverse("orgs:detail", args=["G1"]), params)
        assert response.status_code == 200 and response.context["as_of_error"] == "", params
        assert 'data-testid="as-of-error"' not in response.content.decode()


def test_the_kinds_of_the_unit_and_of_the_units_below_are_in_the_readers_language(
    viewer: Any, client: Any
) -> None:
    from cadrebook.core.rules import current_ruleset

    kinds = current_ruleset().unit_kinds
    cell, committee = kinds["cell"], kinds["grassroots_committee"]
    assert cell.names.get("vi") and cell.names["vi"] != cell.label
    client.cookies["django_language"] = "vi"
    response = client.get(reverse("orgs:detail", args=["G1"]), HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 200
    assert [r["kind"] for r in response.context["children"]] == [cell.names["vi"]] * 2
    page = response.content.decode()
    assert f"G1 · {committee.names['vi']}" in page and f"K1 · {cell.names['vi']}" in page
    assert f"· {cell.label}<" not in page
