"""The evaluation in the browser, as a committee office and a cell secretary use it: opening a
round after checking the answers, the self-assessment with its total and level, the cell's
proposal, the decision with the quota shown as the committee works and refused beyond it
(the count and the rule's source on the field, nothing written), closing (refused while
subjects are undecided), the worklists; a viewer cannot decide, a unit outside the scope
answers 404; the dossier and the unit page show the ratings by year."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cadrebook.accounts.services import role_grant
from cadrebook.cadres.services import confidence_session_record, post_appoint
from cadrebook.core.models import AuditEntry
from cadrebook.evaluations import services as ev
from cadrebook.evaluations.models import Decision, Proposal, Rating, Round, SelfAssessment, Subject
from cadrebook.inspections.models import Discipline
from cadrebook.members import services as ms

D = dt.date
BIRTH = D(1985, 3, 1)
OPEN = {
    "kind": "yearly",
    "year": "2025",
    "reference_date": "2025-12-15",
    "self_assessment_until": "2025-12-20",
    "proposals_until": "2025-12-25",
    "decisions_until": "2025-12-31",
}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _user(name: str, role: str, unit: Any) -> Any:
    user = get_user_model().objects.create_user(username=name)
    role_grant(actor=None, user=user, role=role, unit=unit)
    return user


@pytest.fixture
def w(
    tree: SimpleNamespace,
    organizer: Any,
    docs: SimpleNamespace,
    k1_members: list[Any],
    make_member: Any,
) -> SimpleNamespace:
    """C1's committee office (an organizer of everything), K1's secretary (a clerk of K1),
    a viewer of C1 and C2's organizer (outside); seven members of K1, one exempt in K2 and
    one of K2 on temporary transfer to K1."""
    exempt = make_member(tree.K2, BIRTH, D(2012, 1, 1), recognized=True)
    ms.member_exempt(actor=organizer, member=exempt, date=D(2025, 3, 1), reason="health")
    away = make_member(tree.K2, BIRTH, D(2012, 1, 1), recognized=True)
    ms.member_temporary_transfer(
        actor=organizer, member=away, date=D(2025, 10, 1), host=tree.K1, until=D(2026, 3, 1)
    )
    return SimpleNamespace(
        tree=tree,
        docs=docs,
        k1=k1_members,
        exempt=exempt,
        away=away,
        actor=organizer,
        office=_client(organizer),
        secretary=_client(_user("k1-secretary", "clerk", tree.K1)),
        viewer=_client(_user("c1-viewer", "viewer", tree.C1)),
        outsider=_client(_user("c2-organizer", "organizer", tree.C2)),
    )


def _counts() -> tuple[int, ...]:
    return (
        Round.objects.count(),
        SelfAssessment.objects.count(),
        Proposal.objects.count(),
        Decision.objects.count(),
        Rating.objects.count(),
        AuditEntry.objects.count(),
    )


def _open(w: SimpleNamespace) -> Round:
    ev.round_open(
        actor=w.actor,
        unit=w.tree.C1,
        kind="yearly",
        year=2025,
        reference_date=D(2025, 12, 15),
        self_assessment_until=D(2025, 12, 20),
        proposals_until=D(2025, 12, 25),
        decisions_until=D(2025, 12, 31),
    )
    return Round.objects.get()


def _subject(round_: Round, *, member: Any = None, unit: Any = None) -> Subject:
    if member is not None:
        return Subject.objects.get(round=round_, member=member)
    return Subject.objects.get(round=round_, unit=unit)


def _decide(w: SimpleNamespace, subject: Subject, level: str, score: str) -> None:
    ev.subject_decide(
        actor=w.actor,
        subject=subject,
        deciding_unit=subject.deciding_unit,
        level=level,
        score=Decimal(score),
        document=w.docs.g1 if subject.deciding_unit == w.tree.G1 else w.docs.c1,
    )


def test_opening_a_round_checks_the_answers_first(w: SimpleNamespace) -> None:
    url = reverse("evaluations:round_open", args=["C1"])
    assert w.office.get(url).status_code == 200
    asked = w.office.post(url, OPEN)
    assert asked.status_code == 200, asked.content.decode()[:3000]
    assert asked.context["preview"]["total"] == 12  # 9 members and G1, K1, K2
    assert asked.context["preview"]["excluded"] == 1  # the exempt member
    assert Round.objects.count() == 0  # not yet
    done = w.office.post(url, {**OPEN, "confirmed": "yes"})
    assert done.status_code == 302
    round_ = Round.objects.get()
    assert done["Location"] == reverse("evaluations:round", args=[round_.pk])
    assert AuditEntry.objects.filter(event_type="evaluation.round_opened").count() == 1


def test_a_refused_opening_is_shown_on_the_field_and_writes_nothing(w: SimpleNamespace) -> None:
    url = reverse("evaluations:round_open", args=["C1"])
    before = _counts()
    answer = w.office.post(url, {**OPEN, "proposals_until": "2025-12-01", "confirmed": "yes"})
    assert answer.status_code == 422
    error = answer.context["form"].errors["proposals_until"][0]
    assert "each no earlier than the one before" in error
    answer = w.office.post(url, {**OPEN, "kind": "monthly"})
    assert answer.status_code == 422 and "kind" in answer.context["form"].errors
    # A cell stands below the grassroots committee that decides for its members.
    answer = w.office.post(reverse("evaluations:round_open", args=["K1"]), OPEN)
    assert answer.status_code == 422
    assert "366-QĐ/TW" in answer.context["form"].errors["__all__"][0]
    assert _counts() == before


def test_the_round_page_lists_the_worklists_never_dropping_the_unrated(w: SimpleNamespace) -> None:
    round_ = _open(w)
    url = reverse("evaluations:round", args=[round_.pk])
    page = w.office.get(url)
    assert page.status_code == 200
    assert page.context["progress"]["total"] == 12
    assert page.context["progress"]["not_assessed"] == 11
    excluded = w.office.get(url + "?state=excluded")
    assert [r["subject"].member_id for r in excluded.context["subjects"]] == [w.exempt.pk]
    assert "Exempt from activities" in excluded.content.decode()
    special = [s.member_id for s in page.context["special"]]
    assert special == [w.away.pk]
    # The secretary of K1 works in C1's round: only K1's part of it.
    mine = w.secretary.get(url)
    assert mine.status_code == 200
    assert mine.context["progress"]["total"] == 8  # seven members and the cell itself
    assert w.secretary.get(reverse("evaluations:rounds")).context["rows"][0]["round"] == round_
    narrowed = w.office.get(url + "?unit=K2")
    assert narrowed.context["progress"]["total"] == 3  # K2 and its two members
    assert w.office.get(url + "?unit=C2").status_code == 404  # outside the round
    assert w.outsider.get(url).status_code == 404
    assert w.outsider.get(reverse("evaluations:rounds")).context["rows"] == []


def test_self_assessment_and_proposal_by_the_cells_secretary(w: SimpleNamespace) -> None:
    round_ = _open(w)
    subject = _subject(round_, member=w.k1[0])
    url = reverse("evaluations:subject_assess", args=[subject.pk])
    form = w.secretary.get(url)
    assert form.status_code == 200
    assert "Results of assigned tasks" in form.content.decode()  # the rule set's groups
    body = {"score_general": "27", "score_tasks": "64", "review": "Đạt"}
    asked = w.secretary.post(url, body)
    assert asked.status_code == 200
    rows = dict(asked.context["rows"])
    assert rows["Total"] == Decimal("91")
    assert rows["Level the total implies"] == "Excellently completed duties"
    assert SelfAssessment.objects.count() == 0
    assert w.secretary.post(url, {**body, "confirmed": "yes"}).status_code == 302
    assert SelfAssessment.objects.get().score == Decimal("91")
    # A group over its points: the service's refusal, nothing written.
    before = _counts()
    refused = w.secretary.post(url, {**body, "score_general": "31", "confirmed": "yes"})
    assert refused.status_code == 422
    assert "has 30" in refused.context["form"].non_field_errors()[0]
    assert _counts() == before
    url = reverse("evaluations:subject_propose", args=[subject.pk])
    assert w.secretary.get(url).context["form"].initial["score"] == Decimal("91")
    vote = {"score": "91", "level": "excellent", "votes_for": "6", "votes_against": "0"}
    too_many = w.secretary.post(url, {**vote, "present": "5", "confirmed": "yes"})
    assert too_many.status_code == 422
    assert "more than the 5 members present" in too_many.context["form"].errors["votes_for"][0]
    assert w.secretary.post(url, {**vote, "present": "7", "confirmed": "yes"}).status_code == 302
    assert Proposal.objects.get().votes_for == 6
    # The secretary does not decide: G1 does.
    decide = reverse("evaluations:subject_decide", args=[subject.pk])
    assert w.secretary.get(decide).status_code == 403


def test_the_decision_shows_the_quota_and_refuses_beyond_it(w: SimpleNamespace) -> None:
    round_ = _open(w)
    _decide(w, _subject(round_, unit=w.tree.K1), "good", "80")  # the collective first
    for member in w.k1[:5]:
        _decide(w, _subject(round_, member=member), "good", "80")
    first = _subject(round_, member=w.k1[5])
    url = reverse("evaluations:subject_decide", args=[first.pk])
    page = w.office.get(url)
    assert page.status_code == 200
    quota = page.context["quota"]
    assert (quota.excellent, quota.allowed, quota.good) == (0, 1, 5)
    assert "0 excellent of 1 allowed" in page.content.decode()
    assert w.docs.g1.symbol in page.content.decode()  # the document from G1's register
    assert w.docs.draft.symbol not in page.content.decode()  # a draft is not offered
    body = {"level": "excellent", "score": "95", "document": str(w.docs.g1.pk)}
    asked = w.office.post(url, body)
    assert asked.status_code == 200
    assert dict(asked.context["rows"])["Quota after this decision"] == (
        "1 excellent of 1 allowed (5 good)"
    )
    assert w.office.post(url, {**body, "confirmed": "yes"}).status_code == 302
    assert Rating.objects.get(member=w.k1[5]).level == "excellent"
    # One more excellent: refused on the level, with the count and the rule's source.
    second = _subject(round_, member=w.k1[6])
    url = reverse("evaluations:subject_decide", args=[second.pk])
    assert "1 excellent of 1 allowed" in w.office.get(url).content.decode()
    before = _counts()
    refused = w.office.post(url, body)
    assert refused.status_code == 422
    error = refused.context["form"].errors["level"][0]
    assert "would have 2 rated excellent for 5 rated good" in error
    assert "the quota allows 1" in error and "366-QĐ/TW" in error
    assert _counts() == before
    # A disqualifier caps the level, its source shown.
    capped = w.office.post(
        url, {**body, "level": "good", "score": "85", "disqualifiers": ["tasks_failed_half"]}
    )
    assert capped.status_code == 422
    assert "More than half of the assigned tasks" in capped.context["form"].errors["level"][0]
    # …unless the reason is recorded.
    overridden = w.office.post(
        url,
        {
            **body,
            "level": "good",
            "score": "85",
            "disqualifiers": ["tasks_failed_half"],
            "override_reason": "force_majeure",
            "override_text": "Flood",
            "confirmed": "yes",
        },
    )
    assert overridden.status_code == 302
    decision = Decision.objects.filter(subject=second).get()
    assert decision.disqualifiers == ["tasks_failed_half"]
    assert decision.override_reason == "force_majeure"


def test_a_viewer_cannot_decide_and_an_outsider_gets_404(w: SimpleNamespace) -> None:
    round_ = _open(w)
    subject = _subject(round_, member=w.k1[0])
    for name in ("subject_decide", "subject_assess", "subject_propose", "subject_reconsider"):
        url = reverse(f"evaluations:{name}", args=[subject.pk])
        assert w.viewer.get(url).status_code == 403, name
        before = _counts()
        assert w.viewer.post(url, {"level": "good", "score": "80"}).status_code == 403
        assert _counts() == before
        assert w.outsider.get(url).status_code == 404, name
    assert w.viewer.get(reverse("evaluations:subject", args=[subject.pk])).status_code == 200
    assert w.outsider.get(reverse("evaluations:subject", args=[subject.pk])).status_code == 404
    for name in ("round_close", "round_outstanding"):
        url = reverse(f"evaluations:{name}", args=[round_.pk])
        assert w.viewer.get(url).status_code == 403
        assert w.outsider.get(url).status_code == 404
    assert w.viewer.get(reverse("evaluations:round_open", args=["C1"])).status_code == 403
    assert w.outsider.get(reverse("evaluations:round_open", args=["C1"])).status_code == 404


def test_closing_is_refused_while_subjects_are_undecided_then_done(w: SimpleNamespace) -> None:
    round_ = _open(w)
    url = reverse("evaluations:round_close", args=[round_.pk])
    assert "0 of 12 subjects are decided" in w.office.get(url).content.decode()
    before = _counts()
    refused = w.office.post(url, {"confirmed": "yes"})
    assert refused.status_code == 422
    assert "11 subjects of the round have no decided level yet" in refused.content.decode()
    assert _counts() == before
    round_.refresh_from_db()
    assert round_.is_open
    for unit in (w.tree.G1, w.tree.K1, w.tree.K2):
        _decide(w, _subject(round_, unit=unit), "good", "80")
    for subject in Subject.objects.filter(round=round_, kind="member", excluded=""):
        _decide(w, subject, "good", "80")
    assert w.office.post(url, {"confirmed": "yes"}).status_code == 302
    round_.refresh_from_db()
    assert not round_.is_open
    # A closed round changes only by a reconsideration, with a document and a reason.
    subject = _subject(round_, member=w.k1[0])
    page = w.office.get(reverse("evaluations:subject", args=[subject.pk]))
    assert 'data-testid="reconsider"' in page.content.decode()
    url = reverse("evaluations:subject_reconsider", args=[subject.pk])
    body = {
        "deciding_unit": "G1",
        "level": "completed",
        "score": "60",
        "document": str(w.docs.g1.pk),
        "reason": "",
        "confirmed": "yes",
    }
    missing = w.office.post(url, body)
    assert missing.status_code == 422 and "reason" in missing.context["form"].errors
    assert w.office.post(url, {**body, "reason": "Appeal upheld"}).status_code == 302
    assert Rating.objects.get(member=w.k1[0]).level == "completed"


def test_marking_a_unit_outstanding_raises_its_quota(w: SimpleNamespace) -> None:
    round_ = _open(w)
    url = reverse("evaluations:round_outstanding", args=[round_.pk])
    assert w.office.post(url, {"unit": "G1"}).status_code == 302
    assert round_.outstanding.get().unit == w.tree.G1


def test_the_dossier_and_the_unit_page_show_the_ratings_by_year(w: SimpleNamespace) -> None:
    member = w.k1[0]
    for year in range(2021, 2026):
        ev.rating_record(actor=w.actor, year=year, member=member, level="excellent")
    ev.rating_record(actor=w.actor, year=2024, unit=w.tree.K1, label="TSVM")
    dossier = w.office.get(reverse("members:dossier", args=[member.pk]))
    assert dossier.status_code == 200
    text = dossier.content.decode()
    assert [r["year"] for r in dossier.context["ratings"]] == [2025, 2024, 2023, 2022, 2021]
    assert 'data-testid="honour"' in text and "Excellent 5 years running" in text
    other = w.office.get(reverse("members:dossier", args=[w.k1[1].pk]))
    assert "No rating recorded." in other.content.decode()
    assert 'data-testid="honour"' not in other.content.decode()
    unit_page = w.office.get(reverse("orgs:detail", args=["K1"]))
    assert unit_page.status_code == 200
    assert [r["year"] for r in unit_page.context["unit_ratings"]] == [2024]
    assert "TSVM" in unit_page.content.decode()


def test_the_decision_form_ticks_the_cap_a_confidence_vote_sets_and_names_it(
    w: SimpleNamespace,
) -> None:
    round_ = _open(w)
    _decide(w, _subject(round_, unit=w.tree.K1), "good", "80")
    member = w.k1[0]
    post_appoint(
        actor=w.actor,
        member=member,
        unit=w.tree.G1,
        position="committee_member",
        started_on=dt.date(2024, 1, 15),
        outside_planning_text="01-QĐ/ĐU",
    )
    confidence_session_record(
        actor=w.actor,
        unit=w.tree.G1,
        held_on=dt.date(2025, 11, 20),
        summoned=30,
        present=21,
        results=[{"member": member, "high": 5, "confidence": 5, "low": 11}],
    )
    ev.subject_mark(
        actor=w.actor, subject=_subject(round_, member=member), framework="leader", leads=w.tree.G1
    )
    url = reverse("evaluations:subject_decide", args=[_subject(round_, member=member).pk])
    page = w.office.get(url)
    assert page.context["form"].initial["disqualifiers"] == ["confidence_low"]
    labels = dict(page.context["form"].fields["disqualifiers"].choices)
    assert "from the confidence votes" in labels["confidence_low"]
    assert "96-QĐ/TW 2023" in labels["confidence_low"]
    assert "from the confidence votes" not in labels["degraded"]
    # Unticked, it still applies: the summary names it and its source.
    body = {"level": "not_completed", "score": "85", "document": str(w.docs.g1.pk)}
    asked = w.office.post(url, body)
    assert asked.status_code == 200
    shown = [value for name, value in asked.context["rows"] if name == "Disqualifier"]
    assert len(shown) == 1 and "from the confidence votes" in shown[0]


def test_the_decision_form_ticks_the_disqualifier_a_discipline_sets_and_names_it(
    w: SimpleNamespace,
) -> None:
    round_ = _open(w)
    _decide(w, _subject(round_, unit=w.tree.K1), "good", "80")
    member = w.k1[0]
    Discipline.objects.create(
        subject_kind="member",
        member=member,
        subject_path=w.tree.K1.path,
        form="reprimand",
        body=w.tree.C1,
        body_kind="inspection_committee",
        path=w.tree.C1.path,
        decided_on=dt.date(2025, 5, 2),
        violation="Vi phạm",
        violation_on=dt.date(2025, 1, 5),
        duty_related=True,
        ruleset="vn-2025",
    )
    url = reverse("evaluations:subject_decide", args=[_subject(round_, member=member).pk])
    page = w.office.get(url)
    assert page.context["form"].initial["disqualifiers"] == ["disciplined_duty"]
    labels = dict(page.context["form"].fields["disqualifiers"].choices)
    assert "from the discipline records" in labels["disciplined_duty"]
    assert "366-QĐ/TW 2025" in labels["disciplined_duty"]
    assert "from the discipline records" not in labels["degraded"]
    # Unticked, it still applies: the summary names it and its source.
    body = {"level": "not_completed", "score": "85", "document": str(w.docs.g1.pk)}
    asked = w.office.post(url, body)
    assert asked.status_code == 200
    shown = [value for name, value in asked.context["rows"] if name == "Disqualifier"]
    assert len(shown) == 1 and "from the discipline records" in shown[0]
    assert "366-QĐ/TW 2025" in shown[0]


def test_the_disqualifiers_boxes_have_ids_of_their_own_and_an_error_links_to_them(
    w: SimpleNamespace,
) -> None:
    """Django gives a field of check boxes no `id_for_label`: the boxes were `_0`, `_1`… (the
    same on any second such field) and the error summary's link pointed at `#`."""
    round_ = _open(w)
    _decide(w, _subject(round_, unit=w.tree.K1), "good", "80")
    url = reverse("evaluations:subject_decide", args=[_subject(round_, member=w.k1[0]).pk])
    page = w.office.get(url).content.decode()
    boxes = re.findall(r'name="disqualifiers" value="[^"]+" id="([^"]*)"', page)
    assert boxes and boxes == [f"id_disqualifiers_{i}" for i in range(len(boxes))]
    assert 'id="id_disqualifiers"' in page  # the fieldset the error summary links to
    body = {"level": "good", "score": "80", "document": str(w.docs.g1.pk)}
    refused = w.office.post(url, {**body, "disqualifiers": ["no_such_thing"]})
    assert refused.status_code == 422
    assert refused.context["form"].errors["disqualifiers"]
    assert 'href="#id_disqualifiers"' in refused.content.decode()
    assert 'href="#"' not in refused.content.decode()


@pytest.fixture
def english_after() -> Iterator[None]:
    """A request in another language activates it for the thread: English again after."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "vi",
            [
                "Đánh giá, xếp loại chất lượng cuối năm",  # the round's kind
                "Miễn sinh hoạt đảng",  # why the exempt member is not rated
                "Đảng viên không giữ chức vụ lãnh đạo, quản lý",  # a framework
                "Hoàn thành tốt nhiệm vụ",  # a level decided
            ],
        ),
        (
            "km",
            [
                "ការវាយតម្លៃចុងឆ្នាំ",
                "លើកលែងពីសកម្មភាពបក្ស",
                "សមាជិកបក្សដែលមិនកាន់តំណែងដឹកនាំ",
                "បំពេញភារកិច្ចបានល្អ",
            ],
        ),
    ],
)
def test_a_rounds_pages_show_the_rule_sets_labels_in_the_pages_language(
    w: SimpleNamespace, language: str, words: list[str], english_after: None
) -> None:
    round_ = _open(w)
    _decide(w, _subject(round_, unit=w.tree.K1), "good", "80")
    url = reverse("evaluations:round", args=[round_.pk])
    pages = "".join(
        w.office.get(url + query, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        for query in ("?state=excluded", "?state=decided", "?state=not_assessed")
    )
    for word in words:
        assert word in pages
    assert "Year-end evaluation" not in pages and "Exempt from activities" not in pages
    # The decision form: its levels, disqualifiers and reasons in the page's language.
    decide = reverse("evaluations:subject_decide", args=[_subject(round_, member=w.k1[0]).pk])
    form = w.office.get(decide, HTTP_ACCEPT_LANGUAGE=language)
    choices = dict(form.context["form"].fields["level"].choices)
    assert choices["good"] == words[3]
    boxes = dict(form.context["form"].fields["disqualifiers"].choices)
    assert "Breached the things members must not do" not in str(boxes["forbidden_breach"])
    assert "366-QĐ/TW 2025" in str(boxes["forbidden_breach"])  # the source as written


@pytest.mark.parametrize(
    ("language", "member_group"),
    [
        ("vi", "Đảng viên không giữ chức vụ lãnh đạo, quản lý"),
        ("km", "សមាជិកបក្សដែលមិនកាន់តំណែងដឹកនាំ"),
    ],
)
def test_the_default_groups_of_similar_roles_are_named_in_the_pages_language(
    w: SimpleNamespace, language: str, member_group: str, english_after: None
) -> None:
    """A subject's group of similar roles is its framework's code unless the office names
    another: the quota tables, the quota line and the subject's card print the framework's
    label in the page's language, not "member" or "organization"; a group the office named
    prints as written."""
    round_ = _open(w)
    _decide(w, _subject(round_, unit=w.tree.K1), "good", "80")
    page = w.office.get(
        reverse("evaluations:round", args=[round_.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    quota = page[page.index('data-testid="quota"') :] if 'data-testid="quota"' in page else page
    assert "<td>member</td>" not in quota and "<td>organization</td>" not in quota
    assert f"<td>{member_group}</td>" in page
    member = _subject(round_, member=w.k1[0])
    decide = w.office.get(
        reverse("evaluations:subject_decide", args=[member.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    card = decide[decide.index('data-testid="role-group"') :]
    assert card.split("</dd>")[0].endswith(member_group)
    assert "<td>member</td>" not in decide and "<td>organization</td>" not in decide
    Subject.objects.filter(pk=member.pk).update(role_group="teachers")
    named = w.office.get(reverse("evaluations:subject", args=[member.pk])).content.decode()
    assert 'data-testid="role-group">teachers</dd>' in named


def test_a_decisions_secret_document_is_named_without_a_link_for_who_may_not_read_it(
    w: SimpleNamespace,
) -> None:
    """As the register prints a masked document: its symbol, no link to a page that would
    answer 404; the office that may read it gets the link."""
    from cadrebook.documents.services import document_register

    round_ = _open(w)
    _decide(w, _subject(round_, unit=w.tree.K1), "good", "80")
    secret = document_register(
        actor=w.actor,
        type="decision",
        issuer=w.tree.G1,
        term=w.docs.g1.term,
        date=D(2025, 12, 21),
        title="Xếp loại (mật)",
        confidentiality="secret",
    )
    subject = _subject(round_, member=w.k1[0])
    ev.subject_decide(
        actor=w.actor,
        subject=subject,
        deciding_unit=subject.deciding_unit,
        level="good",
        score=Decimal("80"),
        document=secret,
    )
    url = reverse("evaluations:subject", args=[subject.pk])
    link = f'href="{reverse("documents:detail", args=[secret.pk])}"'
    seen = w.viewer.get(url).content.decode()
    assert secret.symbol in seen and link not in seen
    assert w.viewer.get(reverse("documents:detail", args=[secret.pk])).status_code == 404
    assert link in w.office.get(url).content.decode()
