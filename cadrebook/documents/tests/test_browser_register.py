"""In a real Chromium: a province's office registers a document from the unit page (the
suggested number follows the type chosen, by htmx), uploads its signed PDF, and finds it in
the register by a word typed without accents; the browser reports no breach of the
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
