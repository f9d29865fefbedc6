"""The steps before a decision (`[evaluation.steps]`): the grassroots committee decides a
member's level after the member's self-assessment and the cell's proposal (an organization's
after its self-assessment). Where the rule set warns, a decision without them is recorded
marked with the missing steps, listed on the round's page and said in the API's answer and on
the decision form; where it refuses, it is refused with the rule's code, a message naming the
missing step and the rule's source, nothing written. The members not rated are never decided;
the ratings import (the years before a round) asks for no step."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.core.errors import ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.core.rules import current_ruleset, load_ruleset
from cadrebook.evaluations import rules as rules_module
from cadrebook.evaluations import services as ev
from cadrebook.evaluations.models import Decision, Rating, Round, Subject
from cadrebook.evaluations.rules import evaluation_rules
from cadrebook.evaluations.tests.test_timetable import _assess, _decide, _open, _propose


def _refusing(monkeypatch: Any) -> None:
    """The rule set in force, refusing a decision without its steps: for the services, the
    pages and the API alike (the parsed rules are read once per rule set)."""
    ruleset = current_ruleset()
    refusing = dataclasses.replace(evaluation_rules(ruleset), steps_enforcement="refuse")
    monkeypatch.setitem(rules_module._PARSED, id(ruleset), (ruleset, refusing))


@pytest.fixture
def w(tree, organizer, docs, k1_members, token_clients, settings) -> SimpleNamespace:
    settings.CADREBOOK_API_WRITES_PER_TOKEN = "10000/min"
    settings.CADREBOOK_API_WRITES_PER_IP = "10000/min"
    round_ = _open(organizer, tree.C1)
    office = Client()
    office.force_login(organizer)
    cell = Subject.objects.get(round=round_, unit=tree.K1)
    w = SimpleNamespace(
        round=round_,
        tree=tree,
        actor=organizer,
        docs=docs,
        office=office,
        api=token_clients([("p_organizer", Role.ORGANIZER, tree.P)])["p_organizer"],
        cell=cell,
        members=[Subject.objects.get(round=round_, member=m) for m in k1_members],
    )
    # The collective first (the rule set orders so), after its own self-assessment.
    ev.subject_self_assess(
        actor=organizer, subject=cell, scores={"party_building": 30, "inspection": 8, "tasks": 42}
    )
    _decide(w, cell)
    return w


def _rows() -> tuple[int, ...]:
    return (
        Decision.objects.count(),
        Rating.objects.count(),
        AuditEntry.objects.count(),
    )


def test_the_rule_sets_say_which_steps_come_first_and_warn_by_default(rules):
    vn = evaluation_rules(rules)
    assert vn.steps_required["member"] == ("self_assessment", "proposal")
    assert vn.steps_required["unit"] == ("self_assessment",)
    assert vn.steps_enforcement == "warn"
    assert vn.steps_source.startswith("366-QĐ/TW 2025")
    alt = evaluation_rules(load_ruleset("test-alt"))
    assert alt.steps_required == {"member": ("proposal",), "unit": ()}
    assert alt.steps_source == "test statute 11u"


def test_a_warned_decision_is_recorded_marked_with_the_steps_it_lacks(w):
    assert w.cell.decisions.get().missing_steps == []  # it self-assessed
    bare, assessed, complete = w.members[:3]
    assert _decide(w, bare).missing_steps == ["self_assessment", "proposal"]
    _assess(w, assessed)
    assert _decide(w, assessed).missing_steps == ["proposal"]
    _assess(w, complete)
    _propose(w, complete)
    assert _decide(w, complete).missing_steps == []
    audit = AuditEntry.objects.filter(event_type="evaluation.decided").order_by("id")
    assert [e.after["missing_steps"] for e in audit] == [
        [],
        ["self_assessment", "proposal"],
        ["proposal"],
        [],
    ]
    # A later decision, once the steps are recorded, is not marked: the latest counts.
    _assess(w, bare)
    _propose(w, bare)
    assert _decide(w, bare).missing_steps == []


def test_a_refused_decision_names_the_missing_step_and_its_source_and_writes_nothing(
    w, monkeypatch
):
    _refusing(monkeypatch)
    member = w.members[0]
    _assess(w, member)
    before = _rows()
    with pytest.raises(ServiceError) as refused:
        _decide(w, member)
    assert refused.value.code == "evaluation.steps_missing"
    assert "the cell's proposal" in refused.value.message
    assert "self-assessment" not in refused.value.message
    assert refused.value.source == evaluation_rules().steps_source
    assert _rows() == before
    _propose(w, member)
    assert _decide(w, member).missing_steps == []
    # An organization needs its self-assessment only.
    other = Subject.objects.get(round=w.round, unit=w.tree.K2)
    with pytest.raises(ServiceError) as unit_refused:
        _decide(w, other)
    assert "the self-assessment" in unit_refused.value.message
    assert "proposal" not in unit_refused.value.message


def test_a_member_not_rated_is_never_decided_whatever_the_steps(w):
    ev.subject_mark(actor=w.actor, subject=w.members[1], excluded="exempt")
    with pytest.raises(ServiceError) as refused:
        _decide(w, Subject.objects.get(pk=w.members[1].pk))
    assert refused.value.code == "evaluation.subject_excluded"


def test_the_api_answers_the_missing_steps_or_refuses(w, monkeypatch):
    member = w.members[0]
    url = f"/api/v1/evaluations/subjects/{member.pk}/decision"
    body = {"level": "good", "score": "80", "document": w.docs.g1.pk}
    answer = w.api.post(url, body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["missing_steps"] == ["self_assessment", "proposal"]
    warning = answer.json()["steps_warning"]
    assert warning["code"] == "evaluation.steps_missing" and warning["source"].startswith("366")
    listed = w.api.get("/api/v1/evaluations/decisions", {"subject": member.pk}).json()["items"]
    assert [d["missing_steps"] for d in listed] == [["self_assessment", "proposal"]]
    _refusing(monkeypatch)
    other = w.members[1]
    before = _rows()
    refused = w.api.post(
        f"/api/v1/evaluations/subjects/{other.pk}/decision", body, content_type="application/json"
    )
    assert refused.status_code == 422, refused.content
    assert refused.json()["code"] == "evaluation.steps_missing"
    assert refused.json()["source"].startswith("366-QĐ/TW 2025")
    assert "the self-assessment and the cell's proposal" in refused.json()["message"]
    assert _rows() == before


def test_the_decision_form_warns_and_the_round_page_lists_the_decisions_without_steps(w):
    member = w.members[0]
    url = reverse("evaluations:subject_decide", args=[member.pk])
    form = w.office.get(url).content.decode()
    assert 'data-testid="steps-warning"' in form
    assert "the self-assessment and the cell&#x27;s proposal" in form
    body = {"level": "good", "score": "80", "document": str(w.docs.g1.pk)}
    confirm = w.office.post(url, body)
    assert confirm.status_code == 200
    assert any("marked as made without them" in n for n in confirm.context["notes"])
    done = w.office.post(url, {**body, "confirmed": "yes"})
    assert done.status_code == 302
    assert Decision.objects.get(subject=member).missing_steps == ["self_assessment", "proposal"]
    page = w.office.get(reverse("evaluations:round", args=[w.round.pk]))
    rows = page.context["without_steps"]
    assert [r["subject"].pk for r in rows] == [member.pk]
    assert 'data-testid="without-steps"' in page.content.decode()
    subject_page = w.office.get(reverse("evaluations:subject", args=[member.pk])).content.decode()
    assert "decided without the self-assessment" in subject_page
    # A member with both steps: no warning.
    ready = w.members[1]
    _assess(w, ready)
    _propose(w, ready)
    calm = w.office.get(reverse("evaluations:subject_decide", args=[ready.pk])).content.decode()
    assert 'data-testid="steps-warning"' not in calm


def test_a_refused_decision_in_the_browser_is_shown_and_writes_nothing(w, monkeypatch):
    _refusing(monkeypatch)
    member = w.members[0]
    url = reverse("evaluations:subject_decide", args=[member.pk])
    assert "is refused" in w.office.get(url).content.decode()
    before = _rows()
    refused = w.office.post(url, {"level": "good", "score": "80", "document": str(w.docs.g1.pk)})
    assert refused.status_code == 422
    assert "the self-assessment and the cell" in str(refused.context["form"].non_field_errors())
    assert _rows() == before
    assert not Round.objects.filter(pk=w.round.pk, status="closed").exists()
