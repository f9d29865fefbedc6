"""The register's pages: scoped (404 out of scope, as a missing unit or document), masked
titles for confidential documents the role may not read, the numbers missing from the term,
the form's suggested number, a refusal on the form with nothing written, links changing the
other document's status, upload and audited download, the printed register as PDF."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.documents.models import Document, DocumentFile, DocumentLink

D = dt.date
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people(tree: SimpleNamespace) -> dict[str, Client]:
    """An organizer of P (every grant), a viewer of P (no confidential grant), an organizer
    of C2 (documents of P are outside its subtree)."""
    clients = {}
    for name, role, unit in [
        ("organizer", "organizer", tree.P),
        ("viewer", "viewer", tree.P),
        ("other", "organizer", tree.C2),
    ]:
        user = get_user_model().objects.create_user(username=name)
        role_grant(actor=None, user=user, role=role, unit=unit)
        client = Client()
        client.force_login(user)
        clients[name] = client
    return clients


@pytest.fixture
def docs(register: Any) -> SimpleNamespace:
    one = register("resolution", title="Nghị quyết về phát triển kinh tế")
    two = register("resolution", title="Nghị quyết về xây dựng Đảng")
    four = register("resolution", number=4, title="Nghị quyết về văn hoá")
    secret = register("decision", title="Quyết định kỷ luật", confidentiality="secret")
    return SimpleNamespace(one=one, two=two, four=four, secret=secret)


def _register(client: Client, unit: str = "P", **query: str) -> Any:
    return client.get(reverse("documents:register"), {"unit": unit, **query})


def test_the_register_is_scoped_and_masks_what_the_role_may_not_read(
    people: dict[str, Client], docs: SimpleNamespace
) -> None:
    page = _register(people["organizer"])
    text = page.content.decode()
    assert page.status_code == 200
    assert "Số 01-NQ/TU" in text and "Nghị quyết về phát triển kinh tế" in text
    assert "Quyết định kỷ luật" in text
    viewer = _register(people["viewer"]).content.decode()
    assert "Số 01-QĐ/TU" in viewer and "Quyết định kỷ luật" not in viewer
    assert 'data-testid="masked"' in viewer
    # Out of scope answers as a unit that does not exist.
    assert _register(people["other"]).status_code == 404
    assert _register(people["other"], unit="NOPE").status_code == 404
    # The user's own scope by default: the other organizer's list has none of P's.
    assert "Số 01-NQ/TU" not in people["other"].get(reverse("documents:register")).content.decode()


def test_the_register_shows_the_numbers_missing_from_the_term(
    people: dict[str, Client], docs: SimpleNamespace
) -> None:
    text = _register(people["organizer"]).content.decode()
    assert 'data-testid="gaps"' in text and "resolution: 3 is missing" in text


def test_the_register_filters(people: dict[str, Client], docs: SimpleNamespace) -> None:
    found = _register(people["organizer"], q="van hoa").content.decode()
    assert "Nghị quyết về văn hoá" in found and "xây dựng Đảng" not in found
    typed = _register(people["organizer"], type="decision").content.decode()
    assert "Quyết định kỷ luật" in typed and "văn hoá" not in typed
    # A viewer's search by words does not find a masked document by its hidden title.
    assert "Số 01-QĐ/TU" not in _register(people["viewer"], q="ky luat").content.decode()


def test_a_document_page_is_404_out_of_scope_or_without_the_grant(
    people: dict[str, Client], docs: SimpleNamespace
) -> None:
    url = reverse("documents:detail", args=[docs.secret.pk])
    assert people["organizer"].get(url).status_code == 200
    assert people["viewer"].get(url).status_code == 404
    assert people["other"].get(reverse("documents:detail", args=[docs.one.pk])).status_code == 404
    page = people["viewer"].get(reverse("documents:detail", args=[docs.one.pk]))
    assert page.status_code == 200 and "Nghị quyết về phát triển kinh tế" in page.content.decode()
    assert 'data-testid="link-form"' not in page.content.decode()  # the viewer cannot issue


def test_the_form_suggests_the_next_number(
    people: dict[str, Client], docs: SimpleNamespace, terms: SimpleNamespace
) -> None:
    page = people["organizer"].get(reverse("documents:new", args=["P"]))
    assert page.status_code == 200
    # The first type of the rule set is "resolution": 1, 2 and 4 are taken.
    assert 'value="5"' in page.content.decode()
    fragment = people["organizer"].get(
        reverse("documents:next_number", args=["P"]),
        {"type": "decision", "term": terms.new.pk, "confidentiality": "none"},
    )
    # Secret documents share their type's counter.
    assert 'value="2"' in fragment.content.decode() and "Số 02-QĐ/TU" in fragment.content.decode()
    old = people["organizer"].get(
        reverse("documents:next_number", args=["P"]), {"type": "decision", "term": terms.old.pk}
    )
    assert 'value="1"' in old.content.decode()
    assert people["viewer"].get(reverse("documents:new", args=["P"])).status_code == 403
    assert people["other"].get(reverse("documents:new", args=["P"])).status_code == 404


def _form(terms: SimpleNamespace, **fields: Any) -> dict[str, Any]:
    data = {
        "type": "resolution",
        "term": terms.new.pk,
        "confidentiality": "none",
        "number": "",
        "date": "2026-02-01",
        "title": "Nghị quyết mới",
        "signer_name": "Nguyễn Văn A",
        "signer_position": "Bí thư",
        "status": "issued",
        "language": "vi",
    }
    data.update(fields)
    return data


def test_registering_writes_the_document_and_a_refusal_writes_nothing(
    people: dict[str, Client], docs: SimpleNamespace, terms: SimpleNamespace
) -> None:
    url = reverse("documents:new", args=["P"])
    before = (Document.objects.count(), AuditEntry.objects.count())
    refused = people["organizer"].post(url, _form(terms, number="2"))
    assert refused.status_code == 422
    text = refused.content.decode()
    assert 'data-testid="error-summary"' in text and "already used" in text
    assert "36-HD/VPTW" in text  # the rule's source
    outside = people["organizer"].post(url, _form(terms, date="2024-01-01"))
    assert outside.status_code == 422 and "outside the term" in outside.content.decode()
    assert (Document.objects.count(), AuditEntry.objects.count()) == before
    done = people["organizer"].post(url, _form(terms))
    assert done.status_code == 302
    document = Document.objects.get(title="Nghị quyết mới")
    assert document.number == 5 and document.symbol == "05-NQ/TU"
    assert document.signer_position == "Bí thư"
    assert done["Location"] == reverse("documents:detail", args=[document.pk])


def test_a_link_replaces_the_other_document_shown_both_ways(
    people: dict[str, Client], docs: SimpleNamespace
) -> None:
    url = reverse("documents:link", args=[docs.four.pk])
    organizer = people["organizer"]
    answer = organizer.post(url, {"link-kind": "replaces", "link-target": "01-NQ/TU"})
    assert answer.status_code == 302
    docs.one.refresh_from_db()
    assert docs.one.status == "replaced"
    page = organizer.get(reverse("documents:detail", args=[docs.one.pk])).content.decode()
    assert "04-NQ/TU" in page and "replaces" in page
    # A cycle of replacements is refused on the form, nothing written.
    links = DocumentLink.objects.count()
    back = organizer.post(
        reverse("documents:link", args=[docs.one.pk]),
        {"link-kind": "replaces", "link-target": f"#{docs.four.pk}"},
    )
    assert back.status_code == 422 and "cannot replace" in back.content.decode()
    assert DocumentLink.objects.count() == links
    unknown = organizer.post(url, {"link-kind": "amends", "link-target": "99-NQ/TU"})
    assert unknown.status_code == 422 and DocumentLink.objects.count() == links


def test_upload_and_download_are_scoped_and_audited(
    people: dict[str, Client], docs: SimpleNamespace
) -> None:
    organizer = people["organizer"]
    url = reverse("documents:upload", args=[docs.one.pk])
    not_pdf = SimpleUploadedFile("x.pdf", b"hello", content_type="application/pdf")
    refused = organizer.post(url, {"upload-kind": "signed", "upload-file": not_pdf})
    assert refused.status_code == 422 and DocumentFile.objects.count() == 0
    # The file limits are the deployment's choice: the refusal cites their own source, not
    # the numbering regulation.
    text = refused.content.decode()
    assert "Cadrebook deployment setting" in text and "36-HD/VPTW" not in text
    signed = SimpleUploadedFile("nq01.pdf", PDF, content_type="application/pdf")
    assert organizer.post(url, {"upload-kind": "signed", "upload-file": signed}).status_code == 302
    row = DocumentFile.objects.get()
    assert people["viewer"].post(url, {"upload-kind": "attachment"}).status_code == 403
    download = reverse("documents:download", args=[docs.one.pk, row.pk])
    answer = people["viewer"].get(download)
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == PDF
    assert AuditEntry.objects.filter(
        event_type="document.file_downloaded", actor__username="viewer"
    ).exists()
    assert people["other"].get(download).status_code == 404
    # A file of a secret document: 404 without the grant.
    secret = SimpleUploadedFile("s.pdf", PDF, content_type="application/pdf")
    organizer.post(
        reverse("documents:upload", args=[docs.secret.pk]),
        {"upload-kind": "signed", "upload-file": secret},
    )
    hidden = DocumentFile.objects.get(document=docs.secret)
    assert (
        people["viewer"]
        .get(reverse("documents:download", args=[docs.secret.pk, hidden.pk]))
        .status_code
        == 404
    )


def test_a_status_change_is_appended_to_the_history(
    people: dict[str, Client], docs: SimpleNamespace
) -> None:
    url = reverse("documents:status", args=[docs.two.pk])
    answer = people["organizer"].post(
        url,
        {"status-status": "revoked", "status-date": "2026-03-01", "status-reason": "Hết hiệu lực"},
    )
    assert answer.status_code == 302
    assert list(docs.two.statuses.values_list("status_to", flat=True)) == ["issued", "revoked"]
    early = people["organizer"].post(
        reverse("documents:status", args=[docs.one.pk]),
        {"status-status": "revoked", "status-date": "2025-01-01"},
    )
    assert early.status_code == 422
    assert docs.one.statuses.count() == 1


def test_the_printed_register_is_a_pdf_and_audited(
    people: dict[str, Client], docs: SimpleNamespace
) -> None:
    url = reverse("documents:register_pdf", args=["P"])
    answer = people["viewer"].get(url, {"term": "2025-2030"})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf" and answer.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(event_type="export.document_register").count() == 1
    assert people["other"].get(url).status_code == 404
    assert people["viewer"].get(url, {"term": "1990-1995"}).status_code == 404


def test_the_unit_page_shows_the_latest_documents(
    people: dict[str, Client], docs: SimpleNamespace
) -> None:
    text = people["viewer"].get(reverse("orgs:detail", args=["P"])).content.decode()
    assert 'data-testid="documents-panel"' in text and "Số 04-NQ/TU" in text
    assert "Quyết định kỷ luật" not in text
