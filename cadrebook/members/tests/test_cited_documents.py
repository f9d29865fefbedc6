"""Member events point into the register of documents: the deciding document is given by its
id or by its symbol, refused when the actor may not read it (as if missing) or when it is a
draft, kept as written when it names no registered document; the dossier links the symbol
and marks the text that is not in the register; the document lists the events citing it,
those of the members the reader may see; the old free text is linked by the migration."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, override_settings
from django.urls import include, path

from cadrebook.accounts.services import role_grant
from cadrebook.core.errors import ServiceError
from cadrebook.documents.citations import citing_records
from cadrebook.documents.services import document_register, term_create
from cadrebook.documents.templatetags.document_references import document_reference
from cadrebook.members import services
from cadrebook.members.models import MemberEvent

D = dt.date


def _user(name: str, role: str, unit: Any) -> Any:
    user = get_user_model().objects.create_user(username=name)
    role_grant(actor=None, user=user, role=role, unit=unit)
    return user


@pytest.fixture
def docs(tree: SimpleNamespace, actor: Any) -> SimpleNamespace:
    """P's decision 01-QĐ/TU (issued 2026-01-05), a secret decision, a draft plan; C1's
    01-QĐ/ĐU; an organizer of P, a clerk of P (no secret grant), a viewer of C1."""
    term = term_create(actor=actor, unit=tree.P, start=D(2025, 10, 16))
    c1_term = term_create(actor=actor, unit=tree.C1, start=D(2025, 8, 1))

    def make(type: str, issuer: Any = tree.P, t: Any = term, **kw: Any) -> Any:
        values = {"date": D(2026, 1, 5), "title": f"Về {type}", **kw}
        return document_register(actor=actor, type=type, issuer=issuer, term=t, **values)

    return SimpleNamespace(
        decision=make("decision"),
        secret=make("decision", confidentiality="secret"),
        draft=make("plan", status="draft"),
        commune=make("decision", issuer=tree.C1, t=c1_term),
        organizer=_user("porg", "organizer", tree.P),
        clerk=_user("pclerk", "clerk", tree.P),
        c1viewer=_user("c1viewer", "viewer", tree.C1),
    )


@pytest.fixture
def applicant(tree: SimpleNamespace, make_member: Any) -> Any:
    return make_member(tree.K1, D(1995, 1, 1), registered_on=D(2025, 6, 1))


def _admit(actor: Any, member: Any, **kw: Any) -> MemberEvent:
    return services.member_admit(
        actor=actor, member=member, date=D(2026, 2, 1), taken_over=True, **kw
    )


def test_an_event_given_a_registered_symbol_points_at_the_document(
    docs: SimpleNamespace, applicant: Any
) -> None:
    event = _admit(docs.organizer, applicant, document="Số 01-QĐ/TU")
    assert event.registered_document == docs.decision
    assert event.document == "Số 01-QĐ/TU"  # as written


def test_an_event_given_a_document_by_id_takes_its_symbol(
    docs: SimpleNamespace, applicant: Any
) -> None:
    event = _admit(docs.organizer, applicant, registered_document=docs.decision.pk)
    assert (event.registered_document, event.document) == (docs.decision, "01-QĐ/TU")


def test_text_naming_no_registered_document_stays_text(
    docs: SimpleNamespace, applicant: Any
) -> None:
    event = _admit(docs.organizer, applicant, document="12-QĐ/HU")
    assert (event.registered_document, event.document) == (None, "12-QĐ/HU")


def test_a_document_the_actor_may_not_read_is_refused_as_missing(
    docs: SimpleNamespace, applicant: Any
) -> None:
    with pytest.raises(ServiceError) as secret:
        _admit(docs.clerk, applicant, registered_document=docs.secret.pk)
    with pytest.raises(ServiceError) as missing:
        _admit(docs.clerk, applicant, registered_document=10**9)
    assert secret.value.code == missing.value.code == "not_found"
    assert secret.value.field == "document"
    assert str(secret.value.message).replace(str(docs.secret.pk), "X") == str(
        missing.value.message
    ).replace(str(10**9), "X")
    # Its symbol as text is kept as written, not linked: its existence is not told.
    event = _admit(docs.clerk, applicant, document=docs.secret.symbol)
    assert event.registered_document is None
    assert not MemberEvent.objects.filter(registered_document=docs.secret).exists()


def test_a_draft_or_a_mismatched_symbol_is_refused_and_nothing_is_written(
    docs: SimpleNamespace, applicant: Any
) -> None:
    before = applicant.events.count()
    with pytest.raises(ServiceError) as draft:
        _admit(docs.organizer, applicant, registered_document=docs.draft.pk)
    assert draft.value.code == "document.not_issued"
    with pytest.raises(ServiceError) as mismatch:
        _admit(docs.organizer, applicant, registered_document=docs.decision.pk, document="9-NQ/TU")
    assert mismatch.value.code == "event.document_mismatch"
    assert applicant.events.count() == before


def test_the_api_takes_a_document_id_and_answers_it(
    docs: SimpleNamespace, applicant: Any, token_clients: Any, tree: SimpleNamespace
) -> None:
    clients = token_clients([("apiorg", "organizer", tree.P), ("apiclerk", "clerk", tree.P)])
    url = f"/api/v1/members/{applicant.pk}/events"

    def post(client: Any, **body: Any) -> Any:
        body = {"type": "admitted", "date": "2026-02-01", "taken_over": True, **body}
        return client.post(url, json.dumps(body), content_type="application/json")

    refused = post(clients["apiclerk"], document_id=docs.secret.pk)
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found" and refused.json()["field"] == "document"
    draft = post(clients["apiorg"], document_id=docs.draft.pk)
    assert (draft.status_code, draft.json()["code"]) == (422, "document.not_issued")
    answer = post(clients["apiorg"], document_id=docs.decision.pk)
    assert answer.status_code == 201, answer.content
    assert answer.json()["document_id"] == docs.decision.pk
    assert answer.json()["document"] == "01-QĐ/TU"
    history = clients["apiorg"].get(url).json()["items"]
    assert [e["document_id"] for e in history] == [None, docs.decision.pk]
    # The document answers the event among the records citing it.
    detail = clients["apiorg"].get(f"/api/v1/documents/{docs.decision.pk}").json()
    assert [(c["kind"], c["date"]) for c in detail["cited_by"]] == [("member_event", "2026-02-01")]
    assert applicant.full_name in detail["cited_by"][0]["label"]


def test_the_document_lists_only_the_events_of_members_the_reader_may_see(
    docs: SimpleNamespace, tree: SimpleNamespace, make_member: Any
) -> None:
    inside = make_member(tree.K1, D(1995, 1, 1), registered_on=D(2025, 6, 1))
    outside = make_member(tree.GC, D(1996, 1, 1), registered_on=D(2025, 6, 1))
    for member in (inside, outside):
        _admit(docs.organizer, member, registered_document=docs.commune.pk)
    everyone = citing_records(docs.commune, docs.organizer)
    assert len(everyone) == 2 and {c.kind for c in everyone} == {"member_event"}
    # The viewer of C1 reads C1's decision, and sees the member of K1, not the one of GC.
    seen = citing_records(docs.commune, docs.c1viewer)
    assert [c.url for c in seen] == [f"/members/{inside.pk}/#history"]
    assert inside.full_name in seen[0].label
    # The document's page lists them the same way, each linked to the dossier.
    client = Client()
    client.force_login(docs.c1viewer)
    page = client.get(f"/documents/{docs.commune.pk}/").content.decode()
    assert f'href="/members/{inside.pk}/#history"' in page and inside.full_name in page
    assert outside.full_name not in page


def test_the_dossier_links_the_symbol_and_marks_text_not_in_the_register(
    docs: SimpleNamespace, applicant: Any
) -> None:
    _admit(docs.organizer, applicant, registered_document=docs.decision.pk)
    services.member_exempt(
        actor=docs.organizer, member=applicant, date=D(2026, 3, 1), reason="Ốm", document="7-NQ/ĐU"
    )
    client = Client()
    client.force_login(docs.organizer)
    page = client.get(f"/members/{applicant.pk}/").content.decode()
    assert f'data-document="{docs.decision.pk}"' in page and "01-QĐ/TU" in page
    assert "as written: 7-NQ/ĐU, not in the register" in page
    # A viewer who may not open the document reads its symbol, unlinked.
    client.force_login(docs.c1viewer)
    page = client.get(f"/members/{applicant.pk}/").content.decode()
    assert f'data-document="{docs.decision.pk}">01-QĐ/TU</span>' in page


def _detail(request: Any, pk: int) -> Any:  # pragma: no cover - never requested
    raise AssertionError


urlpatterns = [
    path("documents/", include(([path("<int:pk>/", _detail, name="detail")], "documents")))
]


def test_the_symbol_links_to_the_documents_page_where_the_register_has_pages(
    docs: SimpleNamespace,
) -> None:
    with override_settings(ROOT_URLCONF=__name__):
        linked = document_reference(docs.decision, "01-QĐ/TU", {docs.decision.pk})
        unreadable = document_reference(docs.decision, "01-QĐ/TU", set())
    assert linked == (
        f'<a href="/documents/{docs.decision.pk}/" data-document="{docs.decision.pk}">01-QĐ/TU</a>'
    )
    assert unreadable.startswith("<span") and "href" not in unreadable
    assert document_reference(None, "", set()) == ""


def test_the_migration_links_old_text_that_names_one_registered_document(
    docs: SimpleNamespace, tree: SimpleNamespace, make_member: Any, actor: Any
) -> None:
    """Events recorded as text (by an actor who reads no document, as the old free text
    was) are linked by the migration where the symbol names one issued document of the
    event's unit or above; the others keep their text alone."""
    k1 = make_member(tree.K1, D(1995, 1, 1), registered_on=D(2025, 6, 1))
    gc = make_member(tree.GC, D(1995, 1, 1), registered_on=D(2025, 6, 1))
    texts = {
        k1: ["Số 01-QĐ/TU", "01-QĐ/ĐU"],  # P's and C1's decisions: both above K1
        gc: ["01-QĐ/ĐU", "01-KH/TU"],  # C1 is not above GC; a draft was never issued
    }
    events = {}
    for member, (first, second) in texts.items():
        events[member, first] = _admit(actor, member, document=first)
        events[member, second] = services.member_exempt(
            actor=actor, member=member, date=D(2026, 3, 1), reason="Ốm", document=second
        )
    assert not MemberEvent.objects.filter(registered_document__isnull=False).exists()

    migration = importlib.import_module("cadrebook.members.migrations.0017_link_event_documents")
    state = MigrationExecutor(connection).loader.project_state(
        ("members", "0017_link_event_documents")
    )
    migration.link(state.apps, SimpleNamespace(connection=connection))

    linked = {
        key: MemberEvent.objects.get(pk=e.pk).registered_document_id for key, e in events.items()
    }
    assert linked == {
        (k1, "Số 01-QĐ/TU"): docs.decision.pk,
        (k1, "01-QĐ/ĐU"): docs.commune.pk,
        (gc, "01-QĐ/ĐU"): None,
        (gc, "01-KH/TU"): None,
    }
    assert MemberEvent.objects.get(pk=events[k1, "Số 01-QĐ/TU"].pk).document == "Số 01-QĐ/TU"
    # The history is append-only again afterwards.
    with pytest.raises(Exception, match="append-only"):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE members_memberevent SET reason = 'x'")
