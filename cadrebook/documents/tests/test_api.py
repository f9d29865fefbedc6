"""The register's API: scoped lists with masked confidential documents, 404 for what the
caller may not read, accent-insensitive search and filters, registration with the suggested
number and the one refusal shape, links both ways, upload and scoped download of files."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cadrebook.core.models import AuditEntry
from cadrebook.documents.models import Document

D = dt.date
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def clients(tree: SimpleNamespace, token_clients: Any) -> dict[str, Any]:
    """An organizer of P (every grant), a viewer of P (no confidential grant), a clerk of
    C1 (restricted, not secret), an organizer of C2 (another subtree)."""
    return token_clients(
        [
            ("organizer", "organizer", tree.P),
            ("viewer", "viewer", tree.P),
            ("c1clerk", "clerk", tree.C1),
            ("other", "organizer", tree.C2),
        ]
    )


@pytest.fixture
def docs(register: Any, terms: SimpleNamespace, tree: SimpleNamespace) -> SimpleNamespace:
    public = register(
        "resolution", title="Nghị quyết về phát triển kinh tế", abstract="Đẩy mạnh nông nghiệp"
    )
    restricted = register("plan", title="Kế hoạch nhân sự", confidentiality="restricted")
    secret = register("decision", title="Quyết định kỷ luật", confidentiality="secret")
    commune = register(
        "plan", issuer=tree.C1, term=terms.c1, date=D(2024, 3, 1), title="Kế hoạch của xã"
    )
    return SimpleNamespace(public=public, restricted=restricted, secret=secret, commune=commune)


def _ids(answer: Any) -> list[int]:
    assert answer.status_code == 200, answer.content
    return [d["id"] for d in answer.json()["items"]]


def test_lists_are_scoped_and_mask_what_the_role_may_not_read(
    clients: dict[str, Any], docs: SimpleNamespace
) -> None:
    viewer = clients["viewer"].get("/api/v1/documents").json()["items"]
    by_symbol = {d["symbol"]: d for d in viewer}
    assert set(by_symbol) == {"01-NQ/TU", "01-KH/TU", "01-QĐ/TU", "01-KH/ĐU"}
    assert by_symbol["01-NQ/TU"]["title"] == "Nghị quyết về phát triển kinh tế"
    assert by_symbol["01-NQ/TU"]["printed"] == "Số 01-NQ/TU"
    for masked in ("01-KH/TU", "01-QĐ/TU"):
        assert by_symbol[masked]["masked"] is True
        assert by_symbol[masked]["title"] is None and by_symbol[masked]["abstract"] is None
    assert "kỷ luật" not in clients["viewer"].get("/api/v1/documents").content.decode()
    organizer = clients["organizer"].get("/api/v1/documents").json()["items"]
    assert not [d for d in organizer if d["masked"]]
    # The clerk of C1 sees the commune's register only; the other province's organizer none.
    assert _ids(clients["c1clerk"].get("/api/v1/documents")) == [docs.commune.pk]
    assert _ids(clients["other"].get("/api/v1/documents")) == []


def test_a_document_the_caller_may_not_read_answers_404(
    clients: dict[str, Any], docs: SimpleNamespace
) -> None:
    viewer, organizer, other = clients["viewer"], clients["organizer"], clients["other"]
    assert viewer.get(f"/api/v1/documents/{docs.public.pk}").status_code == 200
    for doc in (docs.restricted, docs.secret):
        for path in ("", "/links", "/files"):
            answer = viewer.get(f"/api/v1/documents/{doc.pk}{path}")
            assert answer.status_code == 404 and answer.json()["code"] == "not_found"
        assert organizer.get(f"/api/v1/documents/{doc.pk}").status_code == 200
    assert other.get(f"/api/v1/documents/{docs.public.pk}").status_code == 404
    assert other.get("/api/v1/documents/999999").status_code == 404


def test_search_is_accent_insensitive_and_never_over_masked_text(
    clients: dict[str, Any], docs: SimpleNamespace
) -> None:
    organizer, viewer = clients["organizer"], clients["viewer"]
    assert _ids(organizer.get("/api/v1/documents", {"q": "phat trien"})) == [docs.public.pk]
    assert _ids(organizer.get("/api/v1/documents", {"q": "NONG NGHIEP"})) == [docs.public.pk]
    assert _ids(organizer.get("/api/v1/documents", {"q": "01-nq/tu"})) == [docs.public.pk]
    assert _ids(organizer.get("/api/v1/documents", {"q": "ky luat"})) == [docs.secret.pk]
    assert _ids(viewer.get("/api/v1/documents", {"q": "ky luat"})) == []
    assert _ids(viewer.get("/api/v1/documents", {"q": "qđ/tu"})) == [docs.secret.pk]


def test_filters_by_subtree_type_term_period_and_status(
    clients: dict[str, Any], docs: SimpleNamespace, actor: Any
) -> None:
    get = clients["organizer"].get
    assert _ids(get("/api/v1/documents", {"unit": "C1"})) == [docs.commune.pk]
    assert set(_ids(get("/api/v1/documents", {"type": "plan"}))) == {
        docs.restricted.pk,
        docs.commune.pk,
    }
    assert _ids(get("/api/v1/documents", {"term": "2020-2025"})) == [docs.commune.pk]
    period = {"date_from": "2024-01-01", "date_to": "2024-12-31"}
    assert _ids(get("/api/v1/documents", period)) == [docs.commune.pk]
    assert _ids(get("/api/v1/documents", {"status": "revoked"})) == []
    assert get("/api/v1/documents", {"unit": "C2"}).json()["items"] == []
    assert clients["c1clerk"].get("/api/v1/documents", {"unit": "P"}).status_code == 404


def test_pages_follow_the_cursor(clients: dict[str, Any], register: Any) -> None:
    for day in range(1, 56):
        register("notice", date=D(2026, 1, 1) + dt.timedelta(days=day))
    get = clients["organizer"].get
    first = get("/api/v1/documents").json()
    second = get("/api/v1/documents", {"cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 50 and len(second["items"]) == 5
    assert second["next_cursor"] is None
    assert get("/api/v1/documents", {"cursor": "bogus"}).json()["code"] == "cursor.invalid"


def _post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def test_register_with_the_suggested_number_and_refusals_in_the_one_shape(
    clients: dict[str, Any], terms: SimpleNamespace
) -> None:
    organizer = clients["organizer"]
    suggested = organizer.get(
        "/api/v1/documents/next-number", {"issuer": "P", "type": "regulation"}
    ).json()
    assert suggested == {"number": 1, "symbol": "01-QĐ/TU", "printed": "Số 01-QĐ/TU"}
    body = {"issuer": "P", "type": "regulation", "date": "2026-02-02", "title": "Quy định"}
    created = _post(organizer, "/api/v1/documents", body)
    assert created.status_code == 201, created.content
    assert created.json()["symbol"] == "01-QĐ/TU" and created.json()["term"] == "2025-2030"
    assert organizer.get(created["Location"]).status_code == 200
    again = _post(organizer, "/api/v1/documents", {**body, "type": "decision", "number": 1})
    assert again.status_code == 409
    assert again.json()["code"] == "document.number_taken"
    assert again.json()["field"] == "number" and again.json()["source"].startswith("36-HD")
    outside = _post(organizer, "/api/v1/documents", {**body, "term": "2020-2025"})
    assert outside.status_code == 422 and outside.json()["code"] == "document.date_outside_term"
    unknown = _post(organizer, "/api/v1/documents", {**body, "type": "poem"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "document.type_unknown"
    assert Document.objects.count() == 1
    # A viewer may not register (403); a unit out of scope answers 404.
    assert _post(clients["viewer"], "/api/v1/documents", body).status_code == 403
    assert _post(clients["other"], "/api/v1/documents", body).status_code == 404
    # The clerk may not register a secret document of C1 (it could not read it).
    secret = {**body, "issuer": "C1", "date": "2024-02-02", "confidentiality": "secret"}
    assert _post(clients["c1clerk"], "/api/v1/documents", secret).status_code == 403


def test_links_are_shown_both_ways_and_replacing_changes_the_status(
    clients: dict[str, Any], register: Any
) -> None:
    organizer = clients["organizer"]
    old = register("regulation")
    new = register("regulation", date=D(2026, 3, 1))
    answer = _post(
        organizer, f"/api/v1/documents/{new.pk}/links", {"target": old.pk, "kind": "replaces"}
    )
    assert answer.status_code == 201, answer.content
    out = organizer.get(f"/api/v1/documents/{new.pk}/links").json()
    assert [(ln["direction"], ln["kind"], ln["document"]) for ln in out] == [
        ("out", "replaces", old.pk)
    ]
    detail = organizer.get(f"/api/v1/documents/{old.pk}").json()
    assert detail["status"] == "replaced"
    assert [(ln["direction"], ln["document"]) for ln in detail["links"]] == [("in", new.pk)]
    assert [h["status_to"] for h in detail["history"]] == ["issued", "replaced"]
    cycle = _post(
        organizer, f"/api/v1/documents/{old.pk}/links", {"target": new.pk, "kind": "replaces"}
    )
    assert cycle.status_code == 422 and cycle.json()["code"] == "document.replacement_cycle"


def test_files_are_uploaded_and_downloaded_only_in_scope(
    clients: dict[str, Any], docs: SimpleNamespace
) -> None:
    organizer = clients["organizer"]
    upload = SimpleUploadedFile("nq.pdf", PDF, content_type="application/pdf")
    answer = organizer.post(
        f"/api/v1/documents/{docs.public.pk}/files", {"file": upload, "kind": "signed"}
    )
    assert answer.status_code == 201, answer.content
    url = answer.json()["url"]
    assert answer["Location"] == url and not url.startswith("/media")
    before = AuditEntry.objects.filter(event_type="document.file_downloaded").count()
    download = clients["viewer"].get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert AuditEntry.objects.filter(event_type="document.file_downloaded").count() == before + 1
    assert clients["other"].get(url).status_code == 404
    html = SimpleUploadedFile("x.pdf", b"<html></html>", content_type="application/pdf")
    refused = organizer.post(f"/api/v1/documents/{docs.public.pk}/files", {"file": html})
    assert refused.status_code == 422 and refused.json()["code"] == "document.file_type"
    secret = SimpleUploadedFile("s.pdf", PDF, content_type="application/pdf")
    assert (
        organizer.post(f"/api/v1/documents/{docs.secret.pk}/files", {"file": secret}).status_code
        == 201
    )
    secret_url = f"/api/v1/documents/{docs.secret.pk}/files"
    assert clients["viewer"].get(secret_url).status_code == 404


def test_terms_and_gaps(clients: dict[str, Any], register: Any) -> None:
    organizer = clients["organizer"]
    for n in (1, 2, 4):
        register("resolution", number=n)
    gaps = organizer.get("/api/v1/documents/gaps", {"issuer": "P", "term": "2025-2030"})
    assert gaps.json() == {"resolution": [3]}
    terms = organizer.get("/api/v1/documents/terms", {"unit": "P"}).json()
    assert [t["label"] for t in terms] == ["2025-2030", "2020-2025"]
    created = _post(organizer, "/api/v1/documents/terms", {"unit": "C2", "start": "2020-07-01"})
    assert created.status_code == 201 and created.json()["issuer_symbol"] == "ĐU"
    closed = _post(organizer, created["Location"] + "/close", {"end": "2025-07-30"})
    assert closed.status_code == 200 and closed.json()["end"] == "2025-07-30"
