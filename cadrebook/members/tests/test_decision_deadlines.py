"""The upper committee's decision deadlines: the cell's admission proposal starts the wait for
the admission decision, the upper committee may extend the deadline of a pending decision
(an admission or a recognition) once, and the due lists show the deadlines. The browser, the
API and the events import refuse the same extensions with the fold's codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cadrebook.accounts.roles import Role
from cadrebook.core.dates import add_months
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.imports.pipeline import run_import
from cadrebook.members import services as ms
from cadrebook.members.actions import ACTIONS
from cadrebook.members.choices import EventType
from cadrebook.members.models import Member, MemberEvent
from cadrebook.members.selectors import due_lists

D = dt.date
VOTE = {"votes_for": 3, "votes_against": 0, "full_members": 3}
# A Monday in a year whose holidays vn-2025 lists.
PROPOSED = D(2025, 3, 3)
# 60 working days after 2025-03-03: March 4-31 holds 20, April 22 (Hùng Kings' day on the
# 7th and the 30th are holidays), May 5-30 the last 18 (1 and 2 May are holidays).
DECIDE_BY = D(2025, 5, 30)
# 30 more: June holds 21 working days, July 1-11 the other 9.
EXTENDED_BY = D(2025, 7, 11)


def refused(code: str, fn: Any, **kwargs: Any) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        fn(**kwargs)
    assert info.value.code == code, info.value
    return info.value


def weekdays_after(start: dt.date, count: int, holidays: set[dt.date]) -> dt.date:
    """The `count`th day after `start` that is neither a weekend day nor in `holidays`,
    counted here rather than by the rule set's calendar."""
    day = start
    while count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            count -= 1
    return day


@pytest.fixture
def applicant(tree: Any, make_member: Any) -> Member:
    return make_member(tree.K1, D(1990, 1, 1), registered_on=D(2025, 1, 6))


@pytest.fixture
def proposed(actor: Any, applicant: Member) -> Member:
    ms.member_propose_admission(actor=actor, member=applicant, date=PROPOSED, document="3-NQ/CB")
    return applicant


def extend(actor: Any, member: Member, day: dt.date, document: str = "9-QĐ/ĐU") -> MemberEvent:
    return ms.member_extend_decision(actor=actor, member=member, date=day, document=document)


# The proposal and the admission deadline --------------------------------------------------------
def test_a_proposal_puts_the_applicant_on_the_due_list_with_the_60_working_day_deadline(
    proposed: Member, tree: Any, rules: Any
) -> None:
    proposed.refresh_from_db()
    assert proposed.status == "applicant" and not proposed.periods.exists()
    admissions = due_lists(tree.P, D(2025, 4, 1))["admissions"]
    assert admissions.count == 1
    [item] = admissions.items
    assert item["member"].pk == proposed.pk and item["proposed_on"] == PROPOSED
    assert item["decision_by"] == DECIDE_BY
    listed = {d for d in rules.value("calendar.holidays") if d.year == 2025}
    assert weekdays_after(PROPOSED, 60, listed) == DECIDE_BY
    assert not item["extended"] and not item["decision_overdue"]
    assert item["holidays_note"] == ""
    # Nobody else is listed: applicants without a proposal wait for the cell, not above.
    assert due_lists(tree.K2, D(2025, 4, 1))["admissions"].count == 0


def test_the_decision_is_late_the_day_after_its_deadline(proposed: Member, tree: Any) -> None:
    [on_time] = due_lists(tree.P, DECIDE_BY)["admissions"].items
    [late] = due_lists(tree.P, DECIDE_BY + dt.timedelta(days=1))["admissions"].items
    assert not on_time["decision_overdue"] and late["decision_overdue"]


def test_an_extension_adds_30_working_days_to_the_admission_deadline(
    actor: Any, proposed: Member, tree: Any
) -> None:
    event = extend(actor, proposed, D(2025, 5, 20))
    assert event.type == EventType.DECISION_EXTENDED and event.document == "9-QĐ/ĐU"
    [item] = due_lists(tree.P, D(2025, 6, 2))["admissions"].items
    assert item["extended"] and item["decision_by"] == EXTENDED_BY
    assert not item["decision_overdue"]
    proposed.refresh_from_db()
    assert proposed.status == "applicant"


def test_the_admission_takes_the_applicant_off_the_list(
    actor: Any, proposed: Member, tree: Any
) -> None:
    ms.member_admit(actor=actor, member=proposed, date=D(2025, 5, 5), **VOTE)
    assert due_lists(tree.P, D(2025, 5, 6))["admissions"].count == 0


def test_a_death_takes_the_applicant_off_the_list(actor: Any, proposed: Member, tree: Any) -> None:
    ms.member_record_death(actor=actor, member=proposed, date=D(2025, 4, 1), document="1-GCT")
    assert due_lists(tree.P, D(2025, 4, 2))["admissions"].count == 0


def test_the_list_goes_by_the_deadline_an_extension_included(
    actor: Any, tree: Any, make_member: Any, proposed: Member
) -> None:
    later = make_member(tree.K2, D(1991, 1, 1), registered_on=D(2025, 1, 6))
    ms.member_propose_admission(actor=actor, member=later, date=D(2025, 3, 10))
    items = due_lists(tree.P, D(2025, 4, 1))["admissions"].items
    assert [i["member"].pk for i in items] == [proposed.pk, later.pk]
    extend(actor, proposed, D(2025, 3, 20))  # now decided after the later proposal
    items = due_lists(tree.P, D(2025, 4, 1))["admissions"].items
    assert [i["member"].pk for i in items] == [later.pk, proposed.pk]


def test_a_new_proposal_starts_the_deadline_afresh_and_may_be_extended_again(
    actor: Any, proposed: Member, tree: Any, rules: Any
) -> None:
    extend(actor, proposed, D(2025, 3, 20))
    again = D(2025, 6, 2)
    ms.member_propose_admission(actor=actor, member=proposed, date=again)
    [item] = due_lists(tree.P, again)["admissions"].items
    assert item["proposed_on"] == again and not item["extended"]
    assert item["decision_by"] == rules.add_working_days(again, 60)
    extend(actor, proposed, D(2025, 6, 10))
    [item] = due_lists(tree.P, again)["admissions"].items
    assert item["extended"] and item["decision_by"] == rules.add_working_days(again, 90)


def test_a_voided_extension_no_longer_counts(actor: Any, proposed: Member, tree: Any) -> None:
    event = extend(actor, proposed, D(2025, 5, 20))
    ms.member_correct_event(actor=actor, event=event, reason="recorded twice", void=True)
    [item] = due_lists(tree.P, D(2025, 6, 2))["admissions"].items
    assert not item["extended"] and item["decision_by"] == DECIDE_BY


# Refusals ----------------------------------------------------------------------------------------
def test_a_second_extension_of_the_same_decision_is_refused(actor: Any, proposed: Member) -> None:
    extend(actor, proposed, D(2025, 5, 20))
    exc = refused(
        "decision.already_extended",
        ms.member_extend_decision,
        actor=actor,
        member=proposed,
        date=D(2025, 6, 2),
        document="10-QĐ/ĐU",
    )
    assert isinstance(exc, RuleViolation) and exc.source == "294-QĐ/TW 2025"
    assert proposed.events.filter(type=EventType.DECISION_EXTENDED).count() == 1


def test_an_extension_without_a_pending_decision_is_refused(
    actor: Any, applicant: Member, tree: Any, make_member: Any
) -> None:
    # An applicant the cell has not proposed yet: the upper committee has nothing to decide.
    refused(
        "decision.nothing_pending",
        ms.member_extend_decision,
        actor=actor,
        member=applicant,
        date=D(2025, 2, 3),
        document="1",
    )
    full = make_member(tree.K1, D(1990, 1, 1), D(2020, 1, 6), recognized=True)
    refused(
        "decision.nothing_pending",
        ms.member_extend_decision,
        actor=actor,
        member=full,
        date=D(2025, 2, 3),
        document="1",
    )
    assert not MemberEvent.objects.filter(type=EventType.DECISION_EXTENDED).exists()


def test_an_extension_needs_its_document_and_a_proposal_needs_an_applicant(
    actor: Any, proposed: Member, tree: Any, make_member: Any
) -> None:
    exc = refused(
        "event.document_missing",
        ms.member_extend_decision,
        actor=actor,
        member=proposed,
        date=D(2025, 5, 20),
    )
    assert exc.field == "document"
    member = make_member(tree.K1, D(1990, 1, 1), D(2025, 1, 6))
    refused(
        "member.status_forbids_event",
        ms.member_propose_admission,
        actor=actor,
        member=member,
        date=D(2025, 2, 3),
    )


# The recognition deadline ------------------------------------------------------------------------
def test_an_extension_of_the_recognition_moves_its_deadline(
    actor: Any, tree: Any, make_member: Any
) -> None:
    member = make_member(tree.K1, D(1990, 1, 1), D(2025, 1, 6))
    # Probation ends on 2026-01-06; the cell's review (30) and the decision (30) make 60
    # working days, Tết (16-20 February) left out: 2026-04-07.
    [item] = due_lists(tree.P, D(2026, 1, 6))["recognition"].items
    assert item["decision_by"] == D(2026, 4, 7) and not item["extended"]
    extend(actor, member, D(2026, 1, 20))
    # 30 more: 27 and 30 April and 1 May are holidays.
    [item] = due_lists(tree.P, D(2026, 1, 6))["recognition"].items
    assert item["decision_by"] == D(2026, 5, 22) and item["extended"]
    refused(
        "decision.already_extended",
        ms.member_extend_decision,
        actor=actor,
        member=member,
        date=D(2026, 2, 2),
        document="2",
    )


def test_the_recognition_cannot_be_extended_before_the_probation_ends(
    actor: Any, tree: Any, make_member: Any, token_clients: Any
) -> None:
    """The upper committee decides on a recognition after the cell's review, which follows
    the end of the probation: before then nothing is pending with it to extend (issue 14)."""
    member = make_member(tree.K1, D(1990, 1, 1), D(2025, 1, 6))  # probation ends 2026-01-06
    exc = refused(
        "decision.nothing_pending",
        ms.member_extend_decision,
        actor=actor,
        member=member,
        date=D(2025, 4, 7),
        document="9-QĐ/ĐU",
    )
    assert exc.field == "date" and "2026-01-06" in exc.message
    client = token_clients([("secretary", Role.CLERK, tree.G1)])["secretary"]
    body = {"type": "decision_extended", "date": "2026-01-05", "document": "9-QĐ/ĐU"}
    url = f"/api/v1/members/{member.pk}/events"
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "decision.nothing_pending",
        "date",
    )
    assert not member.events.filter(type=EventType.DECISION_EXTENDED).exists()
    # From the day the probation ends the recognition is pending; it may be extended once.
    response = client.post(url, {**body, "date": "2026-01-06"}, content_type="application/json")
    assert response.status_code == 201, response.content.decode()


def test_the_dossier_does_not_offer_the_extension_while_the_probation_runs(
    client: Any, tree: Any, make_member: Any
) -> None:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from cadrebook.accounts.services import role_grant
    from cadrebook.members.actions import refusal

    today = dt.date.today()
    admitted = add_months(today, -3)
    member = make_member(tree.K1, D(1990, 1, 1), admitted)
    action = ACTIONS["extend_decision"]
    assert not action.applies(member)
    assert refusal(action, member).code == "decision.nothing_pending"
    user = get_user_model().objects.create_user(username="secretary")
    role_grant(actor=None, user=user, role=Role.CLERK, unit=tree.G1)
    client.force_login(user)
    url = reverse("members:action", args=[member.pk, "extend_decision"])
    assert url not in client.get(reverse("members:dossier", args=[member.pk])).content.decode()
    response = client.post(url, {"date": today.isoformat(), "document": "9-QĐ"}, follow=True)
    [message] = [str(m) for m in response.context["messages"]]
    assert str(add_months(admitted, 12)) in message  # when the probation ends
    assert not member.events.filter(type=EventType.DECISION_EXTENDED).exists()
    # A member whose probation has ended is offered it.
    ended = make_member(tree.K1, D(1990, 1, 1), add_months(today, -13))
    assert action.applies(ended)


def test_the_recognition_extension_comes_from_the_rule_set_in_force(
    actor: Any, alt_tree: Any, make_member: Any, ruleset: Any
) -> None:
    member = make_member(alt_tree.B1, D(1990, 1, 1), D(2025, 6, 2))
    extend(actor, member, D(2025, 12, 15))  # the probation of 6 months ended on 2025-12-02
    [item] = due_lists(alt_tree.N, D(2025, 12, 2))["recognition"].items
    days = (
        ruleset.int("probation.review_working_days")
        + ruleset.int("probation.recognition_decision_working_days")
        + ruleset.int("probation.decision_extension_working_days")
    )
    assert item["decision_by"] == ruleset.add_working_days(item["due"], days)


# The browser offers what the fold allows ---------------------------------------------------------
def test_the_dossier_offers_the_extension_only_while_a_decision_may_be_extended(
    actor: Any, applicant: Member
) -> None:
    action = ACTIONS["extend_decision"]
    assert ACTIONS["propose_admission"].applies(applicant)
    assert not action.applies(applicant)  # nothing proposed yet
    ms.member_propose_admission(actor=actor, member=applicant, date=PROPOSED)
    assert action.applies(applicant)
    extend(actor, applicant, D(2025, 5, 20))
    assert not action.applies(applicant)


def test_the_browser_records_the_proposal_and_the_extension_with_its_document(
    client: Any, applicant: Member, tree: Any
) -> None:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from cadrebook.accounts.services import role_grant

    user = get_user_model().objects.create_user(username="secretary")
    role_grant(actor=None, user=user, role=Role.CLERK, unit=tree.G1)
    client.force_login(user)

    def url(action: str) -> str:
        return reverse("members:action", args=[applicant.pk, action])

    dossier = client.get(reverse("members:dossier", args=[applicant.pk])).content.decode()
    assert url("propose_admission") in dossier and url("extend_decision") not in dossier
    response = client.post(url("propose_admission"), {"date": PROPOSED.isoformat()})
    assert response.status_code == 302
    response = client.post(url("extend_decision"), {"date": "2025-05-20"})
    assert response.status_code == 422 and "document" in response.context["form"].errors
    response = client.post(url("extend_decision"), {"date": "2025-05-20", "document": "9-QĐ"})
    assert response.status_code == 302
    dossier = client.get(reverse("members:dossier", args=[applicant.pk])).content.decode()
    assert url("extend_decision") not in dossier
    response = client.get(reverse("orgs:detail", args=["G1"]))
    [item] = response.context["due"]["admissions"].items
    assert item["extended"] and item["decision_by"] == EXTENDED_BY
    page = response.content.decode()
    assert 'data-testid="due-admissions"' in page and url("admit") in page


# The same refusals through the API and the events import -----------------------------------------
def test_the_api_refuses_the_extensions_the_service_refuses(
    actor: Any, applicant: Member, tree: Any, token_clients: Any
) -> None:
    client = token_clients([("secretary", Role.CLERK, tree.G1)])["secretary"]
    url = f"/api/v1/members/{applicant.pk}/events"

    def post(body: dict[str, Any]) -> Any:
        return client.post(url, body, content_type="application/json")

    body = {"type": "decision_extended", "date": "2025-05-20", "document": "9-QĐ/ĐU"}
    response = post(body)
    assert response.status_code == 422 and response.json()["code"] == "decision.nothing_pending"
    response = post({"type": "admission_proposed", "date": PROPOSED.isoformat()})
    assert response.status_code == 201, response.content.decode()
    assert response.json()["type"] == "admission_proposed"
    assert post(body).status_code == 201
    response = post({**body, "date": "2025-06-02"})
    assert response.status_code == 422
    refusal = response.json()
    assert refusal["code"] == "decision.already_extended" and refusal["source"]
    assert applicant.events.filter(type=EventType.DECISION_EXTENDED).count() == 1


def test_the_events_import_refuses_the_extensions_the_service_refuses(
    tree: Any, applicant: Member, make_member: Any, tmp_path: Any
) -> None:
    other = make_member(tree.K1, D(1991, 1, 1), registered_on=D(2025, 1, 6))

    def run(text: str) -> Any:
        path = tmp_path / "events.csv"
        path.write_text("external_id,type,date,document\n" + text, encoding="utf-8")
        return run_import(actor=None, kind="events", path=str(path))

    ext, unproposed = f"cadrebook:{applicant.pk}", f"cadrebook:{other.pk}"
    report = run(
        f"{ext},admission_proposed,2025-03-03,3-NQ/CB\n"
        f"{ext},decision_extended,2025-05-20,9-QĐ/ĐU\n"
        f"{ext},decision_extended,2025-06-02,10-QĐ/ĐU\n"
        f"{unproposed},decision_extended,2025-05-20,9-QĐ/ĐU\n"
    )
    codes = {(e.row, e.code) for e in report.errors}
    assert (4, "decision.already_extended") in codes
    assert (5, "decision.nothing_pending") in codes
    assert not MemberEvent.objects.filter(
        type__in=[EventType.ADMISSION_PROPOSED, EventType.DECISION_EXTENDED]
    ).exists()
    # Without the second extension the same file goes in, and the due list shows it.
    report = run(
        f"{ext},admission_proposed,2025-03-03,3-NQ/CB\n{ext},decision_extended,2025-05-20,9-QĐ/ĐU\n"
    )
    assert report.ok, report.errors
    [item] = due_lists(tree.P, D(2025, 6, 2))["admissions"].items
    assert item["proposed_on"] == PROPOSED and item["decision_by"] == EXTENDED_BY


# The statistics count neither ----------------------------------------------------------------------
def test_the_statistics_ignore_proposals_and_extensions(
    actor: Any, proposed: Member, tree: Any, make_member: Any
) -> None:
    from cadrebook.reports.aggregates import best_source, rebuild_statistics
    from cadrebook.reports.selectors import PeriodSource, unit_statistics

    member = make_member(tree.K1, D(1990, 1, 1), D(2024, 1, 8))  # probation ended 2025-01-08
    year = (D(2025, 1, 1), D(2025, 12, 31))
    before = unit_statistics(tree.P, *year, source=PeriodSource())
    rebuild_statistics()
    extend(actor, proposed, D(2025, 5, 20))
    extend(actor, member, D(2025, 5, 20))
    for source in (PeriodSource(), best_source()):
        after = unit_statistics(tree.P, *year, source=source)
        assert after["movements"] == before["movements"], source
        assert after["members"] == before["members"], source


# The admission age counts on the day the cell considers the case --------------------------------
def test_the_admission_age_counts_on_the_day_of_the_cells_proposal(
    actor: Any, tree: Any, make_member: Any, rules: Any
) -> None:
    """An applicant proposed in the last month of the age limit is admitted by a decision
    that comes after it: the cell considered the case in time. Without a recorded proposal
    the admission's own date counts and the same decision is refused."""
    limit = rules.int("admission.max_age_months")
    born = D(1963, 6, 15)
    too_old_from = add_months(born, limit + 1)  # the first day past the limit
    proposed_on = too_old_from - dt.timedelta(days=10)
    decided_on = too_old_from + dt.timedelta(days=40)
    late = make_member(tree.K1, born, registered_on=proposed_on - dt.timedelta(days=10))
    refused("admission.too_old", ms.member_admit, actor=actor, member=late, date=decided_on, **VOTE)
    on_time = make_member(tree.K1, born, registered_on=proposed_on - dt.timedelta(days=10))
    ms.member_propose_admission(actor=actor, member=on_time, date=proposed_on, document="4-NQ/CB")
    ms.member_admit(actor=actor, member=on_time, date=decided_on, **VOTE)
    on_time.refresh_from_db()
    assert on_time.status == "probationary"


def test_a_proposal_for_a_person_past_the_age_limit_is_refused(
    actor: Any, tree: Any, make_member: Any
) -> None:
    old = make_member(tree.K1, D(1950, 1, 1), registered_on=D(2025, 1, 6))
    refused(
        "admission.too_old", ms.member_propose_admission, actor=actor, member=old, date=PROPOSED
    )
