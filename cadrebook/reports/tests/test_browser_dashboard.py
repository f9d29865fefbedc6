"""In a real Chromium: an officer opens the dashboard of their province, sees every chart
drawn with its table, and downloads one chart as PNG."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30_000  # ms


@pytest.fixture
def officer(tree: SimpleNamespace, make_member: Any) -> Any:
    for n in range(4):
        make_member(
            tree.K1, dt.date(1990, 1, 1), dt.date(2024, 3, 1), gender="female" if n else "male"
        )
    user = get_user_model().objects.create_user(username="officer", password="cadrebook-demo")
    role_grant(actor=None, user=user, role=Role.VIEWER, unit=tree.P)
    return user


def test_the_dashboard_draws_its_charts_and_exports_png(
    live_server: Any, page: Any, officer: Any, tmp_path: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: (
            errors.append(r.url) if r.status >= 400 and not r.url.endswith("/favicon.ico") else None
        ),
    )
    page.set_default_timeout(TIMEOUT)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", "cadrebook-demo")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Organization tree")
    page.click("text=Statistics")
    page.select_option("#id_year", "2024")
    page.click("button:has-text('Show')")
    page.wait_for_selector("[data-chart=pyramid] canvas")
    # with the evaluation's, the inspections' and the cadres' (a contributed panel each)
    assert page.locator("[data-chart] canvas").count() == 9
    assert page.locator("[data-chart=cadres] canvas").count() == 1
    assert page.locator("[data-testid=key-figures]").inner_text().count("4") >= 1
    with page.expect_download() as info:
        page.click("[data-png=pyramid]")
    path = tmp_path / "pyramid.png"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert errors == []
