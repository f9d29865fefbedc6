"""The rules the dossier's buttons and the API's pre-checks apply are decided again by the
fold under the member's lock, so a caller that skips the pre-checks (or read a stale copy)
meets the same refusal; and the browser, the API and the import refuse the same things."""

from __future__ import annotations

import datetime as dt

import pytest

from cadrebook.accounts.roles import Role
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.members import services as ms
from cadrebook.members.expulsion import by_discipline_decision
from cadrebook.members.models import Member, MemberEvent

D = dt.date


def refused(code: str, fn, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        fn(**kwargs)
    assert info.value.code == code, info.value
    return info.value


def _expel_by_discipline(**kwargs):
    """`member_expel` as the discipline service calls it (the one route of an expulsion)."""
    with by_discipline_decision():
        return ms.member_expel(**kwargs)


@pytest.fixture
def leaving(actor, tree, make_member) -> Member:
    """A full member of K1 with a transfer to K2 pending."""
    member = make_member(tree.K1, D(1990, 1, 1), D(2020, 1, 1), recognized=True)
    ms.member_transfer_out(actor=actor, member=member, date=D(2025, 3, 3), to_unit=tree.K2)
    member.refresh_from_db()
    return member


@pytest.mark.parametrize(
    "service, kwargs",
    [
        (ms.member_remove, {"reason": "absence", "document": "1-QĐ/ĐU"}),
        (_expel_by_discipline, {"reason": "discipline", "document": "1-QĐ/ĐU"}),
        (ms.member_exempt, {"reason": "age", "document": "1-QĐ/ĐU"}),
    ],
)
def test_a_pending_transfer_blocks_other_decisions_in_the_service(
    actor, leaving, tree, service, kwargs
):
    events = leaving.events.count()
    refused(
        "transfer.already_pending",
        service,
        actor=actor,
        member=leaving,
        date=D(2025, 3, 5),
        **kwargs,
    )
    leaving.refresh_from_db()
    assert leaving.pending_transfer_to_id == tree.K2.pk
    assert leaving.status == "full" and leaving.events.count() == events


def test_a_pending_transfer_blocks_a_recognition_and_a_temporary_transfer(actor, tree, make_member):
    member = make_member(tree.K1, D(1990, 1, 1), D(2024, 1, 10))
    ms.member_transfer_out(actor=actor, member=member, date=D(2025, 1, 6), to_unit=tree.K2)
    refused(
        "transfer.already_pending",
        ms.member_recognize,
        actor=actor,
        member=member,
        date=D(2025, 1, 13),
        document="2-QĐ/ĐU",
    )
    refused(
        "transfer.already_pending",
        ms.member_temporary_transfer,
        actor=actor,
        member=member,
        date=D(2025, 1, 13),
        host=tree.GC,
    )


def test_an_answer_for_another_cell_than_the_one_the_transfer_now_goes_to_is_refused(
    actor, leaving, tree
):
    # The officer of GC read the member while a transfer to GC was pending; it was returned
    # and reissued to K2 meanwhile.
    refused(
        "transfer.pending_elsewhere",
        ms.member_transfer_accept,
        actor=actor,
        member=leaving,
        date=D(2025, 3, 10),
        receiving=tree.GC,
    )
    refused(
        "transfer.pending_elsewhere",
        ms.member_transfer_return,
        actor=actor,
        member=leaving,
        date=D(2025, 3, 10),
        reason="x",
        receiving=tree.GC,
    )
    leaving.refresh_from_db()
    assert (leaving.unit_id, leaving.pending_transfer_to_id) == (tree.K1.pk, tree.K2.pk)


def test_an_acceptance_joins_the_cell_the_transfer_goes_to_under_the_lock(actor, leaving, tree):
    stale = Member.objects.get(pk=leaving.pk)
    stale.pending_transfer_to = tree.GC  # a copy read before the transfer changed
    event = ms.member_transfer_accept(actor=actor, member=stale, date=D(2025, 3, 10))
    assert event.unit_id == tree.K2.pk
    assert Member.objects.get(pk=leaving.pk).unit_id == tree.K2.pk


# A probationary member cannot be expelled (69-QĐ/TW) ------------------------------------------
def test_the_service_refuses_to_expel_a_probationary_member_citing_the_rule(
    actor, tree, make_member
):
    member = make_member(tree.K1, D(1990, 1, 1), D(2025, 1, 6))
    exc = refused(
        "discipline.form_not_allowed",
        _expel_by_discipline,
        actor=actor,
        member=member,
        date=D(2025, 6, 2),
        reason="discipline",
        document="5-QĐ/UBKT",
    )
    assert isinstance(exc, RuleViolation)
    assert exc.source.startswith("69-QĐ/TW")
    member.refresh_from_db()
    assert member.status == "probationary"
    assert not member.events.filter(type="expelled").exists()


def test_a_full_member_can_still_be_expelled(actor, tree, make_member):
    member = make_member(tree.K1, D(1990, 1, 1), D(2020, 1, 6), recognized=True)
    _expel_by_discipline(
        actor=actor, member=member, date=D(2025, 6, 2), reason="discipline", document="5-QĐ/UBKT"
    )
    member.refresh_from_db()
    assert member.status == "expelled"


def test_an_expulsion_outside_a_discipline_decision_is_refused_naming_the_route(
    actor, tree, make_member
):
    member = make_member(tree.K1, D(1990, 1, 1), D(2020, 1, 6), recognized=True)
    for taken_over in (False, True):
        exc = refused(
            "event.expulsion_by_discipline",
            ms.member_expel,
            actor=actor,
            member=member,
            date=D(2025, 6, 2),
            reason="discipline",
            document="5-QĐ/UBKT",
            taken_over=taken_over,
        )
        assert "discipline" in exc.message and "/api/v1/disciplines" in exc.message
    member.refresh_from_db()
    assert member.status == "full"


def test_the_api_refuses_an_expulsion_and_names_the_discipline_route(
    tree, make_member, token_clients
):
    member = make_member(tree.K1, D(1990, 1, 1), D(2025, 1, 6))
    client = token_clients([("officer", Role.CLERK, tree.G1)])["officer"]
    response = client.post(
        f"/api/v1/members/{member.pk}/events",
        {"type": "expelled", "date": "2025-06-02", "reason": "discipline", "document": "5-QĐ/UBKT"},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "event.expulsion_by_discipline" and body["field"] == "type"
    assert "/api/v1/disciplines" in body["message"]
    assert not MemberEvent.objects.filter(member=member, type="expelled").exists()


def test_the_browser_offers_no_expulsion_and_names_the_discipline_route(client, tree, make_member):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from cadrebook.accounts.services import role_grant

    member = make_member(tree.K1, D(1990, 1, 1), D(2025, 1, 6))
    user = get_user_model().objects.create_user(username="secretary")
    role_grant(actor=None, user=user, role=Role.CLERK, unit=tree.G1)
    client.force_login(user)
    url = reverse("members:action", args=[member.pk, "expel"])
    data = {"date": "2025-06-02", "reason": "discipline", "document": "5-QĐ/UBKT"}
    # The dossier does not offer it (an expulsion is a discipline decision); a request made
    # anyway is refused naming the discipline route, as the API refuses it.
    dossier = client.get(reverse("members:dossier", args=[member.pk])).content.decode()
    assert url not in dossier
    response = client.post(url, {**data, "confirmed": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("members:dossier", args=[member.pk])
    [message] = [str(m) for m in response.context["messages"]]
    assert "discipline" in message and "/api/v1/disciplines" in message
    member.refresh_from_db()
    assert member.status == "probationary"
