"""In a real Chromium: an organizer uploads a members file, reads the refused row in the
report, uploads the fixed file and confirms the import. Tasks run in-process
(ImmediateBackend, see the root conftest), so a job has finished its step when the page
after the upload loads."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.members.models import Member

from .samples import FULL, HEAD, PROB, TOO_YOUNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30_000  # ms

OLD_ENOUGH = "A5,Trẻ Quá,male,2000-01-01,Kinh,,K1,probationary,2025-01-01,,\n"


@pytest.fixture
def organizer(tree: SimpleNamespace) -> Any:
    user = get_user_model().objects.create_user(username="organizer", password="cadrebook-demo")
    role_grant(actor=None, user=user, role=Role.ORGANIZER, unit=tree.P)
    return user


def upload(page: Any, path: Path) -> None:
    page.select_option("#id_kind", "members")
    page.set_input_files("#id_file", str(path))
    page.click("button:has-text('Upload and check')")
    page.wait_for_selector("[data-testid=job-status]", timeout=TIMEOUT)


def test_an_organizer_fixes_a_refused_row_and_imports_the_file(
    live_server: Any, page: Any, organizer: Any, tmp_path: Path
):
    bad = tmp_path / "members.csv"
    bad.write_text(HEAD + FULL + TOO_YOUNG + PROB, encoding="utf-8")
    fixed = tmp_path / "members-fixed.csv"
    fixed.write_text(HEAD + FULL + OLD_ENOUGH + PROB, encoding="utf-8")

    page.set_default_timeout(TIMEOUT)
    page.goto(live_server.url + "/")
    page.fill("#id_username", "organizer")
    page.fill("#id_password", "cadrebook-demo")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Organization tree")
    page.click("text=Import and export")
    page.wait_for_selector("text=New import")

    # The file with a member admitted too young: the report names the row; no confirmation.
    upload(page, bad)
    page.wait_for_selector("[data-testid=errors] >> text=admission.too_young", timeout=TIMEOUT)
    error_row = page.inner_text("[data-testid=errors] tbody tr")
    assert "3" in error_row and "admitted_on" in error_row and "2025-01-01" in error_row
    assert page.query_selector("[data-testid=confirm]") is None
    page.screenshot(path=str(tmp_path / "import-report-refused.png"), full_page=True)

    # The fixed file passes: the report says what will be created, and waits for the user.
    page.click("nav >> text=Imports")
    upload(page, fixed)
    page.wait_for_selector("[data-testid=confirm]", timeout=TIMEOUT)
    counts = page.inner_text("[data-testid=counts]")
    assert "to create" in counts
    assert Member.objects.count() == 0
    page.screenshot(path=str(tmp_path / "import-report-valid.png"), full_page=True)

    page.click("[data-testid=confirm]")
    page.wait_for_selector("[data-testid=done]", timeout=TIMEOUT)
    assert page.inner_text("[data-testid=job-status]") == "Imported"
    assert set(Member.objects.values_list("external_id", flat=True)) == {"A1", "A2", "A5"}
