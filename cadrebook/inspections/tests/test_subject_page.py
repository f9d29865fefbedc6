"""Adding a subject to an open inspection from its page: a unit below the body or a member of
its subtree (by external id, or picked from the name search), through
`inspection_add_subject`; its refusals on the form (out of the body's remit, once
concluded); 404 for an inspector of another commune."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.inspections.models import Inspection, InspectionSubject
from cadrebook.inspections.services import Finding, inspection_conclude, inspection_record_step
from cadrebook.inspections.tests.test_pages import _client, _open
from cadrebook.members.models import Member

D = dt.date


@pytest.fixture
def c1(tree: SimpleNamespace) -> Client:
    """An inspector of C1 (G1, K1, K2 below it)."""
    user = get_user_model().objects.create_user(username="c1-inspector")
    role_grant(actor=None, user=user, role="inspector", unit=tree.C1)
    return _client(user)


@pytest.fixture
def inspection(inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace) -> Inspection:
    """C1's inspection committee inspects K1 (open)."""
    return _open(inspector, tree, docs)


def _url(inspection: Inspection) -> str:
    return reverse("inspections:subject_new", args=[inspection.pk])


def _subjects(inspection: Inspection) -> list[Any]:
    return [s.unit or s.member for s in inspection.subjects.order_by("id")]


def test_the_open_inspection_offers_to_add_a_subject_and_adds_a_unit(
    c1: Client, inspection: Inspection, tree: SimpleNamespace
) -> None:
    detail = c1.get(reverse("inspections:inspection", args=[inspection.pk])).content.decode()
    assert f'href="{_url(inspection)}"' in detail
    assert c1.get(_url(inspection)).status_code == 200
    answer = c1.post(_url(inspection), {"unit": "K2"})
    assert answer.status_code == 302
    assert answer["Location"] == reverse("inspections:inspection", args=[inspection.pk])
    assert _subjects(inspection) == [tree.K1, tree.K2]
    assert AuditEntry.objects.filter(
        event_type="inspection.subject_added", object_id=str(inspection.subjects.last().pk)
    ).exists()


def test_a_member_is_added_by_external_id_or_picked_from_the_search(
    c1: Client, inspection: Inspection, people: SimpleNamespace
) -> None:
    Member.objects.filter(pk=people.k1.pk).update(external_id="HS-0001")
    assert c1.post(_url(inspection), {"member": "HS-0001"}).status_code == 302
    picked = f"{people.k1b.full_name} (#{people.k1b.pk})"
    assert c1.post(_url(inspection), {"member": picked}).status_code == 302
    assert _subjects(inspection)[1:] == [people.k1, people.k1b]


def test_the_member_search_offers_the_members_of_the_bodys_subtree_only(
    inspector: Any, inspection: Inspection, people: SimpleNamespace
) -> None:
    # The inspector everywhere sees GC's member too; C1's inspection cannot inspect them.
    lookup = reverse("inspections:subject_lookup", args=[inspection.pk])
    html = _client(inspector).get(lookup, {"member": "Nguyễn"}).content.decode()
    assert f"(#{people.k1.pk})" in html and f"(#{people.k1b.pk})" in html
    assert f"(#{people.gc.pk})" not in html
    form = _client(inspector).get(_url(inspection)).content.decode()
    assert f'hx-get="{lookup}"' in form


def test_a_name_matching_several_members_asks_to_pick_one(
    c1: Client, inspection: Inspection, people: SimpleNamespace
) -> None:
    answer = c1.post(_url(inspection), {"member": "Nguyễn Văn"})
    assert answer.status_code == 422
    assert "Choose a member from the list" in answer.content.decode()
    assert _subjects(inspection) == [inspection.subjects.get().unit]


def test_a_subject_out_of_the_bodys_remit_is_refused_on_its_field(
    inspector: Any, inspection: Inspection, people: SimpleNamespace, tree: SimpleNamespace
) -> None:
    client = _client(inspector)  # sees C2 and its members: the remit is the service's check
    picked = f"{people.gc.full_name} (#{people.gc.pk})"
    for data, words in (
        ({"member": picked}, "is not a member of"),
        ({"unit": "GC"}, "is not an organization below"),
        ({"unit": "C1"}, "is not an organization below"),  # the body itself
    ):
        answer = client.post(_url(inspection), data)
        assert answer.status_code == 422, data
        html = answer.content.decode()
        assert words in html and "invalid-feedback" in html, data
    assert _subjects(inspection) == [tree.K1]


def test_a_member_the_inspector_does_not_see_is_refused_as_missing(
    c1: Client, inspection: Inspection, people: SimpleNamespace, tree: SimpleNamespace
) -> None:
    answer = c1.post(_url(inspection), {"member": f"X (#{people.gc.pk})"})
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "in your scope" in html and people.gc.full_name not in html
    assert _subjects(inspection) == [tree.K1]


def test_an_inspection_out_of_scope_is_not_found(
    inspection: Inspection, tree: SimpleNamespace
) -> None:
    user = get_user_model().objects.create_user(username="c2-inspector")
    role_grant(actor=None, user=user, role="inspector", unit=tree.C2)
    client = _client(user)
    assert client.get(_url(inspection)).status_code == 404
    assert client.post(_url(inspection), {"unit": "K2"}).status_code == 404
    lookup = reverse("inspections:subject_lookup", args=[inspection.pk])
    assert client.get(lookup, {"member": "Nguyễn"}).status_code == 404
    assert InspectionSubject.objects.filter(inspection=inspection).count() == 1


def test_a_concluded_inspection_takes_no_new_subject(
    c1: Client, inspector: Any, inspection: Inspection, docs: SimpleNamespace
) -> None:
    for step, day in (
        ("plan", D(2025, 3, 10)),
        ("working", D(2025, 4, 1)),
        ("report", D(2025, 5, 1)),
    ):
        inspection_record_step(actor=inspector, inspection=inspection, step=step, done_on=day)
    inspection_conclude(
        actor=inspector,
        inspection=inspection,
        concluded_on=D(2025, 6, 2),
        document=docs.c1_conclusion,
        findings=[Finding(subject=inspection.subjects.get(), violation_found=False)],
    )
    detail = c1.get(reverse("inspections:inspection", args=[inspection.pk])).content.decode()
    assert _url(inspection) not in detail
    answer = c1.post(_url(inspection), {"unit": "K2"})
    assert answer.status_code == 422
    assert "was concluded on" in answer.content.decode()
    assert inspection.subjects.count() == 1


def test_adding_a_subject_needs_the_forms_csrf_token(
    inspection: Inspection, tree: SimpleNamespace
) -> None:
    user = get_user_model().objects.create_user(username="c1-csrf")
    role_grant(actor=None, user=user, role="inspector", unit=tree.C1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(_url(inspection), {"unit": "K2"}).status_code == 403
    form = client.get(_url(inspection))
    token = form.context["csrf_token"]
    answer = client.post(_url(inspection), {"unit": "K2", "csrfmiddlewaretoken": str(token)})
    assert answer.status_code == 302
    assert _subjects(inspection) == [tree.K1, tree.K2]
