"""The unit pages show what the apps above orgs register (`orgs/panels.py`): orgs imports none
of them, and a new app adds a panel or a figure without editing orgs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.template import Template
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.orgs import panels

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(tree: Any, client: Any) -> Any:
    user = get_user_model().objects.create_user(username="viewer")
    role_grant(actor=None, user=user, role=Role.VIEWER, unit=tree.P)
    client.force_login(user)
    return user


def test_members_registers_the_due_lists_the_member_list_and_the_counts(tree, make_member):
    by_name = {p.name: p for p in panels.unit_panels()}
    assert by_name["due_lists"].place == "top"
    assert by_name["members"].place == "main" and by_name["members"].fragment
    make_member(tree.K1, dt.date(1990, 1, 1), admitted_on=dt.date(2020, 1, 1), recognized=True)
    figures = panels.unit_figures([tree.K1, tree.K2])
    assert figures[tree.K1.pk] == {"members": 1, "below_minimum": True}
    assert figures[tree.K2.pk] == {"members": 0, "below_minimum": True}


def test_a_registered_panel_and_figure_show_on_the_pages(viewer, client, monkeypatch, tree):
    monkeypatch.setattr(panels, "_panels", list(panels._panels))
    monkeypatch.setattr(panels, "_figures", list(panels._figures))
    panels.register_unit_panel(
        panels.UnitPanel(
            name="extra",
            place="main",
            template=Template('<p data-testid="extra">{{ extra }} of {{ unit.code }}</p>'),  # type: ignore[arg-type]
            context=lambda request, unit: {"extra": "An extra panel"},
        )
    )
    panels.register_unit_figures(lambda units: {u.pk: {"members": 7} for u in units})
    page = client.get(reverse("orgs:detail", args=["G1"])).content.decode()
    assert '<p data-testid="extra">An extra panel of G1</p>' in page
    assert 'data-testid="due-lists"' in page and 'data-testid="member-table"' in page
    children = client.get(reverse("orgs:children", args=["G1"]))
    assert [r["members"] for r in children.context["rows"]] == [7, 7]


def test_the_member_search_answers_htmx_with_the_member_list_alone(viewer, client):
    response = client.get(reverse("orgs:detail", args=["K1"]), {"q": "x"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert 'data-testid="member-table"' in page and "<html" not in page
    assert 'data-testid="due-lists"' not in page
