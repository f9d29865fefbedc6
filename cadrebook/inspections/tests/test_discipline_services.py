"""The discipline services: every rule checked through the engine with its source and nothing
written on refusal; the consequences through the members' services in the same transaction
(expulsion, dissolution, the correction that restores an annulled expulsion); the bans in time
read by the transfer; appeals; the worklists and facts read from disciplines."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.services import role_grant
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.core.restrictions import APPOINTMENT, TRANSFER, active_restrictions
from cadrebook.inspections import discipline_rules as engine
from cadrebook.inspections import selectors
from cadrebook.inspections.models import Appeal, Discipline
from cadrebook.inspections.services import appeal_decide, appeal_lodge, discipline_decide
from cadrebook.members.models import MemberEvent, MemberPeriod
from cadrebook.members.services import member_transfer, member_transfer_out
from cadrebook.orgs.models import OrgUnit

D = dt.date
DECIDED = D(2025, 3, 3)
RECEIVED = D(2025, 3, 5)


def _state() -> tuple[int, int, int, int]:
    return (
        Discipline.objects.count(),
        Appeal.objects.count(),
        MemberEvent.objects.count(),
        AuditEntry.objects.filter(event_type__startswith="discipline.").count(),
    )


def _decide(inspector: Any, tree: SimpleNamespace, member: Any, **kw: Any) -> Discipline:
    values: dict[str, Any] = {
        "actor": inspector,
        "subject_kind": "member",
        "member": member,
        "form": "warning",
        "body": tree.C1,
        "body_kind": "inspection_committee",
        "decided_on": DECIDED,
        "violation": "Vi phạm quy định về nêu gương",
        "violation_kind": "",
        "violation_on": D(2024, 11, 1),
        **kw,
    }
    if "votes" not in kw and "voters_total" not in kw and not kw.get("taken_over"):
        values |= _votes_for(values["form"])
    return discipline_decide(**values)


def _votes_for(form: str) -> dict[str, Any]:
    """Votes that carry `form` (5 of 7; an expulsion proposed by 3 of 4)."""
    votes: dict[str, Any] = {"votes": {form: 5, "none": 2}, "voters_total": 7}
    if form == "expulsion":
        votes |= {"proposing_for": 3, "proposing_total": 4}
    return votes


def _refused(code: str, call: Any, *, source: bool = True) -> ServiceError:
    before = _state()
    with pytest.raises(ServiceError) as caught:
        call()
    assert caught.value.code == code
    if source:
        assert isinstance(caught.value, RuleViolation) and caught.value.source
    assert _state() == before
    return caught.value


# Forms, authority, remit, scope ------------------------------------------------------------


def test_a_warning_is_recorded_with_its_document_and_audited(
    inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _decide(inspector, tree, people.k1, document=docs.c1, duty_related=True)
    assert d.subject_status == "full"
    assert d.path == tree.C1.path and d.subject_path == tree.K1.path
    assert d.document_id == docs.c1.pk and d.document_text == docs.c1.symbol
    assert d.status == "in_force" and d.ruleset == "vn-2025"
    entry = AuditEntry.objects.get(event_type="discipline.decided")
    assert entry.object_id == str(d.pk) and entry.after["form"] == "warning"


def test_a_probationary_member_is_not_expelled(
    inspector: Any, tree: SimpleNamespace, make_member: Any
) -> None:
    member = make_member(tree.K1, D(1990, 1, 1), D(2024, 12, 1))
    error = _refused(
        "discipline.form_not_allowed", lambda: _decide(inspector, tree, member, form="expulsion")
    )
    assert "69-QĐ/TW" in error.source  # type: ignore[attr-defined]
    assert "for a probationary member" in error.message and "Reprimand" in error.message


def test_removal_from_post_needs_a_post(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    _refused(
        "discipline.form_needs_post",
        lambda: _decide(inspector, tree, people.k1, form="removal_from_post"),
    )
    d = _decide(inspector, tree, people.k1, form="removal_from_post", holds_post=True)
    assert d.form == "removal_from_post"


def test_beyond_the_bodys_power_names_where_the_case_goes(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    error = _refused(
        "discipline.beyond_authority",
        lambda: _decide(
            inspector, tree, people.k1, form="expulsion", body=tree.K1, body_kind="cell"
        ),
    )
    assert "Grassroots committee" in error.message
    # Its own committee's member: the inspection committee of the same level may not.
    _refused(
        "discipline.beyond_authority",
        lambda: _decide(inspector, tree, people.k1, relations=["own_committee_member"]),
    )


def test_a_subject_outside_the_bodys_subtree_is_refused(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    _refused("discipline.outside_remit", lambda: _decide(inspector, tree, people.gc))
    _refused(
        "discipline.outside_remit",
        lambda: _decide(
            inspector,
            tree,
            None,
            subject_kind="unit",
            unit=tree.C1,
            body=tree.C1,
            body_kind="committee",
            form="reprimand",
        ),
    )


def test_a_subject_outside_the_actors_scope_is_refused(
    tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    other = get_user_model().objects.create_user(username="c2-inspector")
    role_grant(actor=None, user=other, role="inspector", unit=tree.C2)
    _refused("discipline.outside_scope", lambda: _decide(other, tree, people.k1), source=False)


# Votes ---------------------------------------------------------------------------------------


def test_the_votes_count_cumulatively_from_the_most_severe_form(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    # 9 full members: 3 for expulsion, 2 for warning, 1 for reprimand, 3 for none. Expulsion
    # has 3/9; from removal down the running count reaches 5/9 > 1/2 at warning.
    votes = {"expulsion": 3, "warning": 2, "reprimand": 1, "none": 3}
    error = _refused(
        "discipline.votes_not_reached",
        lambda: _decide(inspector, tree, people.k1, form="reprimand", votes=votes, voters_total=9),
    )
    assert "Warning" in error.message
    d = _decide(inspector, tree, people.k1, votes=votes, voters_total=9)
    assert d.votes == votes and d.voters_total == 9


def test_historic_decisions_without_votes_record_them_as_unknown(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _decide(inspector, tree, people.k1, taken_over=True)
    assert d.votes == {} and d.voters_total is None
    _refused(
        "discipline.votes_incomplete",
        lambda: _decide(inspector, tree, people.k1b, votes={"warning": 3}),
    )


def test_a_decision_recorded_as_it_is_taken_needs_its_votes(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    error = _refused(
        "discipline.votes_missing",
        lambda: _decide(inspector, tree, people.k1, votes=None, voters_total=None),
    )
    assert error.field == "votes" and "Warning" in error.message


def test_expulsion_needs_the_proposal(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    _refused(
        "discipline.proposal_below_share",
        lambda: _decide(
            inspector,
            tree,
            people.k1,
            form="expulsion",
            votes={"expulsion": 4},
            voters_total=5,
            proposing_for=2,
            proposing_total=4,
        ),
    )


# Time limits, child, twice -----------------------------------------------------------------


def test_a_violation_past_the_limitation_period_is_refused(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    _refused(
        "discipline.limitation_expired",
        lambda: _decide(inspector, tree, people.k1, form="reprimand", violation_on=D(2019, 1, 1)),
    )
    # Expulsion has no limitation period.
    d = _decide(
        inspector,
        tree,
        people.k1,
        form="expulsion",
        violation_on=D(2005, 1, 1),
        document_text="12-QĐ/UBKT",
    )
    assert d.form == "expulsion"


def test_no_discipline_while_raising_a_child_under_12_months(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    _refused(
        "discipline.child_under",
        lambda: _decide(inspector, tree, people.k1, child_under_months=True),
    )
    error = _refused(
        "discipline.child_under",
        lambda: _decide(inspector, tree, people.k1, youngest_child_born_on=D(2024, 6, 1)),
    )
    assert "2025-06-01" in error.message
    assert _decide(inspector, tree, people.k1, youngest_child_born_on=D(2024, 1, 1))


def test_a_violation_is_disciplined_once(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    first = _decide(inspector, tree, people.k1, violation_kind="ethics_lifestyle")
    _refused(
        "discipline.twice",
        lambda: _decide(
            inspector, tree, people.k1, violation_kind="ethics_lifestyle", violation="Other words"
        ),
    )
    _refused("discipline.twice", lambda: _decide(inspector, tree, people.k1))
    # Another day's violation, or another member: a discipline of its own.
    assert _decide(inspector, tree, people.k1, violation_on=D(2024, 12, 1)).pk != first.pk
    assert _decide(inspector, tree, people.k1b, violation_kind="ethics_lifestyle")


# Consequences ------------------------------------------------------------------------------


def _expel(inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace, member: Any) -> Any:
    return _decide(
        inspector,
        tree,
        member,
        form="expulsion",
        document=docs.c1,
        votes={"expulsion": 3, "none": 2},
        voters_total=5,
        proposing_for=3,
        proposing_total=4,
    )


def test_expulsion_records_the_expelled_event(
    inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace, people: SimpleNamespace
) -> None:
    _expel(inspector, tree, docs, people.k1)
    member = people.k1
    member.refresh_from_db()
    assert member.status == "expelled"
    event = member.events.get(type="expelled")
    assert event.date == DECIDED and event.registered_document_id == docs.c1.pk
    # The violation stays in the discipline file: the history, which every reader of the
    # member sees, says only that a discipline decision expelled them.
    discipline = Discipline.objects.get(member=member, form="expulsion")
    assert discipline.violation and discipline.violation not in event.reason
    assert event.reason == "Expelled by a discipline decision"
    assert not MemberPeriod.objects.filter(member=member, valid_to__isnull=True).exists()
    assert MemberPeriod.objects.filter(member=member, valid_to=DECIDED).exists()


def test_a_refused_expulsion_writes_no_event(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    # The decision passes the engine but the members' rules want its document: nothing stays.
    _refused(
        "event.document_missing",
        lambda: _decide(inspector, tree, people.k1, form="expulsion"),
        source=False,
    )
    people.k1.refresh_from_db()
    assert people.k1.status == "full"


def _allow_dissolution(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = engine.discipline_rules()
    bodies = tuple(
        dataclasses.replace(
            b, may={**b.may, "organization": b.may["organization"] | {"dissolution"}}
        )
        for b in rules.bodies
    )
    patched = dataclasses.replace(rules, bodies=bodies)
    monkeypatch.setattr(engine, "discipline_rules", lambda ruleset=None: patched)


def _dissolve(inspector: Any, tree: SimpleNamespace, unit: OrgUnit, **kw: Any) -> Discipline:
    return _decide(
        inspector,
        tree,
        None,
        subject_kind="unit",
        unit=unit,
        form="dissolution",
        body=tree.G1,
        body_kind="committee",
        **kw,
    )


def test_a_grassroots_committee_cannot_dissolve_a_cell_and_forwards_the_case(
    inspector: Any, tree: SimpleNamespace
) -> None:
    _refused("discipline.beyond_authority", lambda: _dissolve(inspector, tree, tree.K2))


def test_the_committee_above_dissolves_an_organization_under_the_rule_set(
    inspector: Any, tree: SimpleNamespace
) -> None:
    # vn-2025: a commune, province or central committee may dissolve a lower organization
    # (Statute art. 38); K2 has no members, so nobody needs handing over.
    d = _decide(
        inspector,
        tree,
        None,
        subject_kind="unit",
        unit=tree.K2,
        form="dissolution",
        body=tree.C1,
        body_kind="committee",
    )
    tree.K2.refresh_from_db()
    assert d.form == "dissolution" and tree.K2.dissolved_on == DECIDED


def test_dissolution_goes_through_the_unit_services(
    inspector: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _allow_dissolution(monkeypatch)
    # K1 has members and the decision names nobody to take them: refused, nothing written.
    _refused(
        "discipline.dissolution_members",
        lambda: _dissolve(inspector, tree, tree.K1),
        source=False,
    )
    d = _dissolve(inspector, tree, tree.K1, members_to=tree.K2)
    tree.K1.refresh_from_db()
    assert tree.K1.dissolved_on == DECIDED and d.unit_id == tree.K1.pk
    people.k1.refresh_from_db()
    assert people.k1.unit_id == tree.K2.pk and people.k1.status == "full"


# Effects in time ---------------------------------------------------------------------------


def test_no_transfer_while_in_force_and_allowed_after_the_lapse(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    _decide(inspector, tree, people.k1, document_text="12-QĐ/UBKT")
    found = active_restrictions(people.k1.pk, D(2025, 6, 1), TRANSFER)
    assert [r.until for r in found] == [D(2026, 3, 3)]
    with pytest.raises(RuleViolation) as caught:
        member_transfer_out(actor=inspector, member=people.k1, date=D(2025, 6, 1), to_unit=tree.GC)
    assert caught.value.code == "restriction.transfer" and "12-QĐ/UBKT" in caught.value.message
    assert active_restrictions(people.k1.pk, D(2026, 3, 3), TRANSFER) == ()
    member_transfer_out(actor=inspector, member=people.k1, date=D(2026, 3, 3), to_unit=tree.GC)
    people.k1.refresh_from_db()
    assert people.k1.pending_transfer_to_id == tree.GC.pk


def test_bans_after_removal_from_post_outlast_the_lapse(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    _decide(inspector, tree, people.k1, form="removal_from_post", holds_post=True)
    assert active_restrictions(people.k1.pk, D(2025, 6, 1), APPOINTMENT)
    assert not active_restrictions(people.k1.pk, D(2026, 6, 1), APPOINTMENT)
    ban = active_restrictions(people.k1.pk, D(2029, 6, 1), "higher_post")
    assert [r.until for r in ban] == [D(2030, 3, 3)]
    assert active_restrictions(people.k1.pk, D(2025, 6, 1), "equal_or_higher_post")


# Appeals -----------------------------------------------------------------------------------


def _lodge(inspector: Any, tree: SimpleNamespace, d: Discipline, **kw: Any) -> Appeal:
    values: dict[str, Any] = {
        "actor": inspector,
        "discipline": d,
        "lodged_on": D(2025, 3, 20),
        "received_on": RECEIVED,
        "body": tree.P,
        "body_kind": "committee",
        **kw,
    }
    return appeal_lodge(**values)


def test_an_appeal_goes_to_the_level_directly_above_not_further_up(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _decide(inspector, tree, people.k1, body=tree.G1, body_kind="committee", form="reprimand")
    error = _refused("discipline.appeal_level", lambda: _lodge(inspector, tree, d))  # P: two up
    assert "Unit C1" in error.message and "Unit P" in error.message
    appeal = _lodge(inspector, tree, d, body=tree.C1)
    assert appeal.body_id == tree.C1.pk


def test_the_appeal_body_refusal_names_the_organs_not_their_codes(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _decide(inspector, tree, people.k1)
    error = _refused("discipline.appeal_body", lambda: _lodge(inspector, tree, d, body_kind="cell"))
    assert "inspection_committee" not in error.message and "standing_committee" not in error.message


def test_the_record_follows_the_member_to_the_new_unit(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _decide(inspector, tree, people.k1)
    appeal = _lodge(inspector, tree, d)
    appeal_decide(actor=inspector, appeal=appeal, decided_on=D(2025, 4, 10), outcome="upheld")
    of_g1 = get_user_model().objects.create_user(username="g1_inspector")
    role_grant(actor=None, user=of_g1, role="inspector", unit=tree.G1)
    of_c2 = get_user_model().objects.create_user(username="c2_inspector")
    role_grant(actor=None, user=of_c2, role="inspector", unit=tree.C2)
    assert list(selectors.disciplines(of_g1)) == [d] and list(selectors.appeals(of_g1)) == [appeal]
    assert not selectors.disciplines(of_c2).exists() and not selectors.appeals(of_c2).exists()
    # Upheld on appeal on 2025-04-10: in force (no transfer) until the rule set's 12 months
    # from the appeal's decision.
    member_transfer(actor=inspector, member=people.k1, date=D(2026, 4, 10), to_unit=tree.GC)
    assert list(selectors.disciplines(of_c2)) == [d] and list(selectors.appeals(of_c2)) == [appeal]
    assert not selectors.disciplines(of_g1).exists() and not selectors.appeals(of_g1).exists()
    d.refresh_from_db()
    assert d.subject_path == tree.K1.path  # where the member stood at the decision
    assert d.current_subject_path == tree.GC.path


def test_a_units_record_is_read_by_the_units_path(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = Discipline.objects.create(
        subject_kind="unit",
        unit=tree.K1,
        subject_path=tree.C2.path,  # a stale copy: the unit's own path decides
        form="reprimand",
        body=tree.C1,
        body_kind="inspection_committee",
        path=tree.C1.path,
        decided_on=DECIDED,
        violation="Vi phạm",
        violation_on=D(2024, 11, 1),
        ruleset="vn-2025",
    )
    of_g1 = get_user_model().objects.create_user(username="g1_inspector")
    role_grant(actor=None, user=of_g1, role="inspector", unit=tree.G1)
    of_c2 = get_user_model().objects.create_user(username="c2_inspector")
    role_grant(actor=None, user=of_c2, role="inspector", unit=tree.C2)
    assert list(selectors.disciplines(of_g1)) == [d]
    assert not selectors.disciplines(of_c2).exists()


def test_an_appeal_out_of_time_is_refused(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _decide(inspector, tree, people.k1)
    error = _refused(
        "discipline.appeal_late", lambda: _lodge(inspector, tree, d, lodged_on=D(2025, 4, 6))
    )
    assert "2025-04-05" in error.message and "(1 month)" in error.message  # not "1 months"
    assert _lodge(inspector, tree, d, lodged_on=D(2025, 4, 5)).outcome == "pending"


def test_an_appeal_goes_to_the_level_above_and_once_at_a_time(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _decide(inspector, tree, people.k1)
    _refused("discipline.appeal_level", lambda: _lodge(inspector, tree, d, body=tree.C1))
    _refused("discipline.appeal_body", lambda: _lodge(inspector, tree, d, body_kind="cell"))
    appeal = _lodge(inspector, tree, d)
    _refused("discipline.appeal_pending", lambda: _lodge(inspector, tree, d), source=False)
    assert list(selectors.appeals_waiting(inspector)) == [appeal]
    d.refresh_from_db()
    assert d.status == "in_force"  # in force while the appeal waits
    appeal_decide(actor=inspector, appeal=appeal, decided_on=D(2025, 4, 10), outcome="upheld")
    assert list(selectors.appeals_waiting(inspector)) == []
    d.refresh_from_db()
    assert d.status == "in_force"


def test_an_annulled_expulsion_restores_membership_by_a_correction(
    inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _expel(inspector, tree, docs, people.k1)
    appeal = _lodge(inspector, tree, d)
    appeal_decide(
        actor=inspector,
        appeal=appeal,
        decided_on=D(2025, 4, 10),
        outcome="annulled",
        document=docs.p,
    )
    d.refresh_from_db()
    appeal.refresh_from_db()
    assert d.status == "annulled" and d.annulled_by_id == appeal.pk
    assert appeal.outcome == "annulled" and appeal.document_id == docs.p.pk
    member = people.k1
    member.refresh_from_db()
    assert member.status == "full"
    expelled = member.events.get(type="expelled")  # kept, voided by a correction
    assert member.events.get(type="correction", corrects=expelled).void
    assert MemberPeriod.objects.filter(member=member, valid_to__isnull=True).exists()
    assert AuditEntry.objects.filter(event_type="discipline.annulled").count() == 1
    # Annulled: the violation may be disciplined anew; nothing restricts the member.
    assert active_restrictions(member.pk, D(2025, 6, 1), TRANSFER) == ()


def test_a_changed_decision_keeps_the_first_and_checks_the_new_form(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _decide(inspector, tree, people.k1)
    appeal = _lodge(inspector, tree, d)
    _refused(
        "discipline.form_needs_post",
        lambda: appeal_decide(
            actor=inspector,
            appeal=appeal,
            decided_on=D(2025, 4, 10),
            outcome="changed",
            new_form="removal_from_post",
        ),
    )
    appeal_decide(
        actor=inspector,
        appeal=appeal,
        decided_on=D(2025, 4, 10),
        outcome="changed",
        new_form="reprimand",
        **_votes_for("reprimand"),
    )
    d.refresh_from_db()
    assert d.status == "changed" and d.annulled_by_id == appeal.pk
    new = Discipline.objects.exclude(pk=d.pk).get()
    assert (new.form, new.body_id, new.decided_on) == ("reprimand", tree.P.pk, D(2025, 4, 10))
    assert new.violation_on == d.violation_on and new.status == "in_force"
    assert [
        x.pk for x in selectors.disciplines_in_force(inspector, D(2025, 5, 1), member=people.k1)
    ] == [new.pk]
    # The reprimand's lapse runs from the appeal's decision.
    assert selectors.disciplines_in_force(inspector, D(2026, 4, 10), member=people.k1) == []


def test_an_appeal_changing_to_a_heavier_form_needs_that_forms_votes_and_proposal(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _decide(inspector, tree, people.k1)
    appeal = _lodge(inspector, tree, d)

    def change(**votes: Any) -> Any:
        return appeal_decide(
            actor=inspector,
            appeal=appeal,
            decided_on=D(2025, 4, 10),
            outcome="changed",
            new_form="expulsion",
            **votes,
        )

    _refused("discipline.votes_missing", change)
    # The votes of the warning do not carry an expulsion; nor does a vote without the proposal.
    _refused("discipline.proposal_missing", lambda: change(**_votes_for("warning")))
    proposal = {"proposing_for": 3, "proposing_total": 4}
    _refused(
        "discipline.votes_not_reached",
        lambda: change(**_votes_for("warning"), **proposal),
    )
    _refused(
        "discipline.proposal_below_share",
        lambda: change(**_votes_for("expulsion") | {"proposing_for": 2}),
    )
    change(**_votes_for("expulsion"), document_text="5-QĐ/TU")
    people.k1.refresh_from_db()
    assert people.k1.status == "expelled"


def test_discipline_facts_for_the_evaluation(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    _decide(inspector, tree, people.k1, duty_related=True)
    _decide(inspector, tree, people.k1b)
    year = {"start": D(2025, 1, 1), "end": D(2025, 12, 31)}
    assert selectors.discipline_facts(member=people.k1, **year) == selectors.DisciplineFacts(
        True, True
    )
    assert selectors.discipline_facts(member=people.k1b, **year) == selectors.DisciplineFacts(
        True, False
    )
    assert not selectors.discipline_facts(
        member=people.k1, start=D(2024, 1, 1), end=D(2024, 12, 31)
    ).disciplined


def test_an_expulsion_changed_to_a_warning_restores_membership(
    inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _expel(inspector, tree, docs, people.k1)
    appeal = _lodge(inspector, tree, d)
    appeal_decide(
        actor=inspector,
        appeal=appeal,
        decided_on=D(2025, 4, 10),
        outcome="changed",
        new_form="warning",
        votes={"warning": 5},
        voters_total=7,
    )
    people.k1.refresh_from_db()
    assert people.k1.status == "full"
    new = Discipline.objects.get(status="in_force")
    assert new.form == "warning" and new.votes == {"warning": 5}
    # The warning's bans now run, from the appeal's decision.
    assert [r.until for r in active_restrictions(people.k1.pk, D(2025, 6, 1), TRANSFER)] == [
        D(2026, 4, 10)
    ]
    # The changed decision is no longer appealed; its replacement may be.
    _refused("discipline.not_in_force", lambda: _lodge(inspector, tree, d), source=False)


def test_an_annulled_dissolution_restores_the_organization_with_its_history(
    inspector: Any, tree: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cadrebook.core.models import AuditEntry

    _allow_dissolution(monkeypatch)
    d = _dissolve(inspector, tree, tree.K2)
    tree.K2.refresh_from_db()
    dissolved_on = tree.K2.dissolved_on
    assert dissolved_on is not None
    appeal = _lodge(inspector, tree, d, body=tree.C1)
    appeal_decide(actor=inspector, appeal=appeal, decided_on=D(2025, 4, 10), outcome="annulled")
    tree.K2.refresh_from_db()
    assert tree.K2.dissolved_on is None
    d.refresh_from_db()
    assert d.status == "annulled"
    # Both facts stay in the audit log: the dissolution, then the restoration with its reason.
    entries = list(
        AuditEntry.objects.filter(object_id=str(tree.K2.pk), event_type__startswith="unit.")
        .order_by("pk")
        .values_list("event_type", "after")
    )
    assert [e for e, _ in entries][-2:] == ["unit.dissolved", "unit.restored"]
    assert "2025-04-10" in entries[-1][1]["reason"]


def test_a_unit_is_restored_only_when_dissolved_and_under_a_standing_parent(
    inspector: Any, tree: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cadrebook.core.errors import ServiceError
    from cadrebook.members.services import unit_restore

    with pytest.raises(ServiceError) as caught:
        unit_restore(actor=inspector, unit=tree.K2, reason="Appeal")
    assert caught.value.code == "unit.not_dissolved"
    _allow_dissolution(monkeypatch)
    _dissolve(inspector, tree, tree.K2)
    with pytest.raises(ServiceError) as caught:
        unit_restore(actor=inspector, unit=tree.K2, reason="  ")
    assert caught.value.code == "unit.restore_reason"
    tree.K2.refresh_from_db()
    assert tree.K2.dissolved_on is not None


def test_an_annulled_removal_from_post_calls_the_restore_hooks(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace, monkeypatch: Any
) -> None:
    """The cadre records fill POST_RESTORE_HOOKS; the discipline calls them in the appeal
    decision's transaction when a removal from post is annulled or changed to a form that
    is no removal from post, never when it is upheld."""
    from cadrebook.inspections.services import discipline as service

    calls: list[tuple[int, str, str]] = []
    monkeypatch.setattr(
        service, "POST_RESTORE_HOOKS", [lambda a, d, r, doc: calls.append((d.pk, r, doc))]
    )
    upheld = _decide(inspector, tree, people.k1, form="removal_from_post", holds_post=True)
    appeal = _lodge(inspector, tree, upheld)
    appeal_decide(actor=inspector, appeal=appeal, decided_on=D(2025, 4, 10), outcome="upheld")
    assert calls == []
    annulled = _decide(
        inspector,
        tree,
        people.k1b,
        form="removal_from_post",
        holds_post=True,
        violation="Vi phạm khác",
    )
    appeal = _lodge(inspector, tree, annulled)
    appeal_decide(
        actor=inspector,
        appeal=appeal,
        decided_on=D(2025, 4, 10),
        outcome="annulled",
        document_text="7-QĐ/TU",
    )
    ((pk, reason, document),) = calls
    assert (pk, document) == (annulled.pk, "7-QĐ/TU") and "2025-04-10" in reason
    changed = _decide(
        inspector,
        tree,
        people.k1b,
        form="removal_from_post",
        holds_post=True,
        violation="Vi phạm thứ ba",
    )
    appeal = _lodge(inspector, tree, changed)
    appeal_decide(
        actor=inspector,
        appeal=appeal,
        decided_on=D(2025, 4, 10),
        outcome="changed",
        new_form="warning",
        **_votes_for("warning"),
    )
    assert [c[0] for c in calls] == [annulled.pk, changed.pk]
