"""The correction of a holding recorded in error: history is never overwritten, so the
correction is a record of its own (`PostCorrection`, append-only) that voids the holding,
with the reason and who recorded it. A voided holding counts nowhere (holders on a day, the
seats, the checks, the due lists, the export); the history shows it, struck, with the
reason. Through the service and `POST /api/v1/appointments/{id}/void`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.test import Client

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.cadres import selectors
from cadrebook.cadres.models import PostCorrection, PostHolding
from cadrebook.cadres.services import holding_correct, holding_end, post_elect
from cadrebook.core.errors import ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.imports.exporting import export_table

D = dt.date


def _elect(organizer: Any, terms: Any, member: Any) -> PostHolding:
    return post_elect(
        actor=organizer,
        member=member,
        unit=terms.c1.unit,
        position="secretary",
        term=terms.c1,
        started_on=D(2025, 1, 1),
        votes_for=7,
        votes_total=9,
    )


def test_a_voided_holding_counts_nowhere_and_the_history_shows_it_struck(
    organizer: Any, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    wrong = _elect(organizer, terms, people.k1b)  # the wrong person was recorded
    correction = holding_correct(
        actor=organizer, holding=wrong, reason="Ghi nhầm người", document_text="15-QĐ/ĐU"
    )
    assert (correction.reason, correction.created_by) == ("Ghi nhầm người", organizer)
    # The record stays as it was, beside its correction.
    assert PostHolding.objects.filter(pk=wrong.pk, member=people.k1b).exists()
    unit = terms.c1.unit
    assert list(selectors.holders_on(organizer, unit, D(2025, 6, 1))) == []
    assert not selectors.holds_post(people.k1b, D(2025, 6, 1))
    # The seat is free: the right person is elected to it.
    right = _elect(organizer, terms, people.k1)
    assert list(selectors.holders_on(organizer, unit, D(2025, 6, 1))) == [right]
    history = list(selectors.post_history(organizer, people.k1b))
    assert history == [wrong] and history[0].correction.reason == "Ghi nhầm người"
    entry = AuditEntry.objects.get(event_type="post.voided")
    assert entry.after["voided"]["member"] == people.k1b.pk
    assert entry.after["reason"] == "Ghi nhầm người"
    # The appointments export holds the posts held: not the one voided.
    out = io.BytesIO()
    export_table(actor=organizer, kind="appointments", out=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert [r["member"] for r in rows] == [f"cadrebook:{people.k1.pk}"]


def test_a_correction_is_refused_without_a_reason_twice_or_out_of_scope(
    organizer: Any, terms: SimpleNamespace, people: SimpleNamespace, tree: SimpleNamespace
) -> None:
    holding = _elect(organizer, terms, people.k1)
    with pytest.raises(ServiceError) as caught:
        holding_correct(actor=organizer, holding=holding, reason="  ")
    assert (caught.value.code, caught.value.field) == ("cadres.correction_reason_missing", "reason")
    other = get_user_model().objects.create_user(username="c2org")
    role_grant(actor=None, user=other, role="organizer", unit=tree.C2)
    with pytest.raises(ServiceError) as caught:
        holding_correct(actor=other, holding=holding, reason="x")
    assert caught.value.code == "cadres.outside_scope"
    assert not PostCorrection.objects.exists()
    holding_correct(actor=organizer, holding=holding, reason="Nhầm ngày")
    with pytest.raises(ServiceError) as caught:
        holding_correct(actor=organizer, holding=holding, reason="again")
    assert caught.value.code == "cadres.holding_voided"
    # A post never held does not end.
    with pytest.raises(ServiceError) as caught:
        holding_end(actor=organizer, holding=holding, ended_on=D(2025, 6, 1), reason="resigned")
    assert caught.value.code == "cadres.holding_voided"
    assert PostCorrection.objects.count() == 1


def test_a_correction_is_append_only(
    organizer: Any, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    correction = holding_correct(
        actor=organizer, holding=_elect(organizer, terms, people.k1), reason="Nhầm"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        PostCorrection.objects.filter(pk=correction.pk).update(reason="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        PostCorrection.objects.filter(pk=correction.pk).delete()


@pytest.fixture
def clients(token_clients: Any, tree: SimpleNamespace) -> dict[str, Client]:
    return token_clients(
        [
            ("api_board", Role.ORGANIZER, tree.P),
            ("api_other", Role.ORGANIZER, tree.C2),
            ("api_clerk", Role.CLERK, tree.C1),
        ]
    )


def test_the_api_voids_a_post_through_the_service(
    clients: dict[str, Client], organizer: Any, terms: SimpleNamespace, people: Any
) -> None:
    holding = _elect(organizer, terms, people.k1)
    path = f"/api/v1/appointments/{holding.pk}/void"

    def post(name: str, body: dict[str, Any]) -> Any:
        return clients[name].post(path, body, content_type="application/json")

    assert post("api_other", {"reason": "x"}).status_code == 404
    assert post("api_clerk", {"reason": "x"}).status_code == 403
    refused = post("api_board", {"reason": ""})
    assert refused.status_code == 422
    assert (refused.json()["code"], refused.json()["field"]) == (
        "cadres.correction_reason_missing",
        "reason",
    )
    assert not PostCorrection.objects.exists()
    done = post("api_board", {"reason": "Ghi nhầm chức vụ", "document_text": "15-QĐ/ĐU"})
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["correction"]["reason"] == "Ghi nhầm chức vụ"
    assert body["correction"]["document_text"] == "15-QĐ/ĐU"
    listed = clients["api_board"].get("/api/v1/appointments", {"unit": "C1"}).json()["items"]
    assert [(a["id"], a["correction"]["reason"]) for a in listed] == [
        (holding.pk, "Ghi nhầm chức vụ")
    ]
    held = clients["api_board"].get("/api/v1/appointments", {"unit": "C1", "as_of": "2025-06-01"})
    assert held.json()["items"] == []
