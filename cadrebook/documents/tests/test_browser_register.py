"""In a real Chromium: a province's office registers a document from the unit page (the
suggested number follows the type chosen, by htmx), uploads its signed PDF, and finds it in
the register by a word typed without accents; it closes its term (refused, then confirmed)
and opens the next from the terms page. The browser reports no breach of the
Content-Security-Policy on the way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.tests.test_browser_csp import Watcher
from cadrebook.documents.models import Document, DocumentFile
from cadrebook.documents.services import document_register, term_create
from cadrebook.orgs.services import unit_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "cadrebook-demo"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def office(settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    p = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    term = term_create(actor=None, unit=p, start=dt.date(2025, 10, 16))
    for title in ("Quyết định thứ nhất", "Quyết định thứ hai"):
        document_register(
            actor=None, issuer=p, type="decision", term=term, date=dt.date(2025, 11, 3), title=title
        )
    user = get_user_model().objects.create_user(username="office", password=PASSWORD)
    role_grant(actor=None, user=user, role=Role.ORGANIZER, unit=p)
    return term


def test_an_office_registers_a_document_and_its_signed_file(
    live_server: Any, page: Any, office: Any, tmp_path: Path
) -> None:
    base = live_server.url
    watch = Watcher(page, base)
    page.goto(base + "/login/")
    page.fill("#id_username", "office")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=username]")

    page.goto(base + "/units/P1/")
    page.click("[data-testid=documents-panel] >> text=Register a document")
    assert page.input_value("[data-testid=number]") == "1"  # the first type: resolution
    page.select_option("#id_type", "decision")
    expect(page.locator("[data-testid=number]")).to_have_value("3")
    assert "Số 03-QĐ/TU" in page.inner_text("#number-field")
    page.fill("#id_title", "Quyết định về công tác cán bộ")
    page.fill("#id_signer_name", "Nguyễn Văn An")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=symbol]")
    assert page.inner_text("[data-testid=symbol]") == "Số 03-QĐ/TU"

    signed = tmp_path / "qd03.pdf"
    signed.write_bytes(PDF)
    page.select_option("#id_upload-kind", "signed")
    page.set_input_files("#id_upload-file", str(signed))
    page.click("[data-testid=upload-form] >> button[type=submit]")
    page.wait_for_selector("[data-testid=files] >> text=qd03.pdf")
    assert DocumentFile.objects.get().document == Document.objects.get(number=3)

    page.goto(base + "/documents/?unit=P1")
    page.fill("#id_q", "can bo")
    expect(page.locator("#document-rows")).not_to_contain_text("thứ nhất")
    assert "Quyết định về công tác cán bộ" in page.inner_text("#document-rows")
    assert not watch.events and not watch.console and not watch.errors, (
        watch.events,
        watch.console,
        watch.errors,
    )


def test_an_office_closes_its_term_and_opens_the_next_from_the_unit_page(
    live_server: Any, page: Any, office: Any
) -> None:
    base = live_server.url
    watch = Watcher(page, base)
    page.goto(base + "/login/")
    page.fill("#id_username", "office")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=username]")

    page.goto(base + "/units/P1/")
    page.click("[data-testid=documents-panel] >> [data-testid=unit-terms]")
    row = page.locator("[data-testid=term-2025-2030]")
    expect(row.locator("[data-testid=running]")).to_be_visible()
    row.locator("[data-testid=close-term]").click()
    page.fill("#id_end", "2025-11-01")  # before the decisions of 2025-11-03: refused
    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=error-end]")).to_contain_text("after the end of the term")
    page.fill("#id_end", "2025-11-30")
    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=confirm-box]")).to_be_visible()
    office.refresh_from_db()
    assert office.end is None  # asked, not yet closed
    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=term-2025-2030]")).not_to_contain_text("running")
    office.refresh_from_db()
    assert office.end == dt.date(2025, 11, 30)

    page.click("[data-testid=open-term]")
    assert page.input_value("#id_start") == "2025-12-01"
    page.click("[data-testid=submit]")
    # Its default label (its years, to the planned end) is the closed term's: said on the field.
    expect(page.locator("[data-testid=error-label]")).to_contain_text("already has a term")
    page.fill("#id_label", "2025-2030 II")
    page.click("[data-testid=submit]")
    running = page.locator("[data-testid='term-2025-2030 II'] >> [data-testid=running]")
    expect(running).to_be_visible()
    assert page.locator("[data-testid=running]").count() == 1
    assert not watch.events and not watch.console and not watch.errors, (
        watch.events,
        watch.console,
        watch.errors,
    )
