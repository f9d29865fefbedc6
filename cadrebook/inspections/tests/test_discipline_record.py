"""What a discipline's record keeps and how long it stands:

- the basis on which the body's authority was accepted (the relations found in the tree and
  declared by the recorder, the power to admit declared) is stored, read back by the API,
  the export and the audit entry;
- a violation is disciplined once: the same subject, the same day of violation and kind (or
  the same inspection's finding); another violation of the same day is its own;
- a decision lapses after the rule set's months "without appeal or new violation": not while
  an appeal waits, counted from the appeal's decision that upheld it, and no earlier than a
  later discipline of the same subject decided before it lapsed."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.core.dates import add_months
from cadrebook.core.errors import RuleViolation
from cadrebook.core.models import AuditEntry
from cadrebook.core.restrictions import TRANSFER, active_restrictions
from cadrebook.imports.exporting import export_table
from cadrebook.inspections import discipline_rules as engine
from cadrebook.inspections import selectors
from cadrebook.inspections.models import Discipline
from cadrebook.inspections.pages import member_disciplines
from cadrebook.inspections.services import (
    Finding,
    appeal_decide,
    appeal_lodge,
    discipline_decide,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
)

D = dt.date
DECIDED = D(2025, 3, 3)


def _decide(inspector: Any, tree: SimpleNamespace, member: Any, **kw: Any) -> Discipline:
    form = kw.get("form", "warning")
    values: dict[str, Any] = {
        "actor": inspector,
        "subject_kind": "member",
        "member": member,
        "form": form,
        "body": tree.C1,
        "body_kind": "inspection_committee",
        "decided_on": DECIDED,
        "violation": "Vi phạm quy định về nêu gương",
        "violation_on": D(2024, 11, 1),
        "votes": {form: 5, "none": 2},
        "voters_total": 7,
        **kw,
    }
    return discipline_decide(**values)


def _lodge(inspector: Any, tree: SimpleNamespace, d: Discipline, lodged_on: dt.date) -> Any:
    return appeal_lodge(
        actor=inspector,
        discipline=d,
        lodged_on=lodged_on,
        received_on=d.decided_on,
        body=tree.P,
        body_kind="committee",
    )


def _months(rules: engine.DisciplineRules, day: dt.date) -> dt.date:
    return add_months(day, rules.lapse_months)


# The basis of the authority ------------------------------------------------------------------


def test_the_relations_and_the_power_to_admit_are_on_the_record(
    inspector: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    token_clients: Any,
) -> None:
    d = _decide(inspector, tree, people.k1, relations=["lower_committee_member"])
    d.refresh_from_db()
    # Found in the tree (a member of the body's subtree) and declared by the recorder.
    assert d.relations == ["member", "lower_committee_member"] and d.may_admit is False
    expelled = _decide(
        inspector,
        tree,
        people.k1b,
        form="expulsion",
        body=tree.G1,
        body_kind="committee",
        may_admit=True,
        document_text="3-QĐ/ĐU",
        proposing_for=3,
        proposing_total=4,
    )
    expelled.refresh_from_db()
    assert expelled.relations == ["member"] and expelled.may_admit is True

    entry = AuditEntry.objects.get(event_type="discipline.decided", object_id=str(d.pk))
    assert entry.after["relations"] == ["member", "lower_committee_member"]
    assert entry.after["may_admit"] is False
    entry = AuditEntry.objects.get(event_type="discipline.decided", object_id=str(expelled.pk))
    assert entry.after["may_admit"] is True

    api = token_clients([("p_inspector", "inspector", tree.P)])["p_inspector"]
    body = api.get(f"/api/v1/disciplines/{d.pk}").json()
    assert (body["relations"], body["may_admit"]) == (["member", "lower_committee_member"], False)
    assert api.get(f"/api/v1/disciplines/{expelled.pk}").json()["may_admit"] is True

    out = io.BytesIO()
    assert export_table(actor=inspector, kind="disciplines", out=out) == 2
    lines = out.getvalue().decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
    by_form = {r["form"]: r for r in rows}
    assert by_form["warning"]["relations"] == "member; lower_committee_member"
    assert by_form["warning"]["may_admit"] == ""
    assert (by_form["expulsion"]["relations"], by_form["expulsion"]["may_admit"]) == (
        "member",
        "yes",
    )


# A violation is disciplined once ------------------------------------------------------------


def test_the_same_violation_is_refused_another_of_the_same_day_is_not(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    first = _decide(inspector, tree, people.k1, violation_kind="ethics_lifestyle")
    # The same day and kind, in other words, decided later by another body: the same one.
    with pytest.raises(RuleViolation) as caught:
        _decide(
            inspector,
            tree,
            people.k1,
            form="reprimand",
            body=tree.G1,
            body_kind="committee",
            decided_on=D(2025, 5, 5),
            violation_kind="ethics_lifestyle",
            violation="Lối sống không lành mạnh",
        )
    assert caught.value.code == "discipline.twice" and caught.value.source
    assert "2024-11-01" in caught.value.message
    # Another violation committed the same day (another kind): disciplined on its own.
    other = _decide(
        inspector,
        tree,
        people.k1,
        form="reprimand",
        decided_on=D(2025, 5, 5),
        violation_kind="party_fees",
        violation="Không đóng đảng phí",
    )
    assert other.pk != first.pk
    # Another kind in the same words (the decisions' stock phrase): still another violation.
    assert (
        _decide(
            inspector, tree, people.k1, form="reprimand", violation_kind="personnel_work"
        ).violation
        == first.violation
    )
    # Without a kind, a different text is a different violation; the same text is not.
    assert _decide(
        inspector, tree, people.k1, form="reprimand", violation="Vắng sinh hoạt ba kỳ"
    ).pk
    with pytest.raises(RuleViolation) as caught:
        _decide(inspector, tree, people.k1, form="reprimand", violation="Vắng sinh hoạt ba kỳ")
    assert caught.value.code == "discipline.twice"


def test_an_annulled_discipline_does_not_bar_a_new_decision_on_the_violation(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _decide(inspector, tree, people.k1, violation_kind="ethics_lifestyle")
    appeal = _lodge(inspector, tree, d, D(2025, 3, 20))
    appeal_decide(actor=inspector, appeal=appeal, decided_on=D(2025, 4, 10), outcome="annulled")
    again = _decide(
        inspector, tree, people.k1, decided_on=D(2025, 5, 5), violation_kind="ethics_lifestyle"
    )
    assert again.status == "in_force"


def test_the_same_inspection_finding_is_disciplined_once(
    inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace, people: SimpleNamespace
) -> None:
    inspection = inspection_open(
        actor=inspector,
        code="KT-07",
        body=tree.C1,
        body_kind="inspection_committee",
        kind="signs_of_violation",
        decided_on=D(2025, 3, 3),
        document=docs.c1,
        subject_members=[people.k1],
    )
    for step, day in (
        ("plan", D(2025, 3, 10)),
        ("working", D(2025, 3, 20)),
        ("report", D(2025, 4, 1)),
    ):
        inspection_record_step(actor=inspector, inspection=inspection, step=step, done_on=day)
    inspection_conclude(
        actor=inspector,
        inspection=inspection,
        concluded_on=D(2025, 6, 2),
        summary="",
        document=docs.c1_conclusion,
        findings=[Finding(inspection.subjects.get(), True, "party_fees", "Nợ đảng phí")],
    )
    _decide(
        inspector,
        tree,
        people.k1,
        decided_on=D(2025, 6, 10),
        inspection=inspection,
        violation_kind="party_fees",
    )
    # The same finding, though the day of violation is written otherwise.
    with pytest.raises(RuleViolation) as caught:
        _decide(
            inspector,
            tree,
            people.k1,
            decided_on=D(2025, 6, 10),
            inspection=inspection,
            violation_on=D(2024, 10, 1),
            violation_kind="party_fees",
        )
    assert caught.value.code == "discipline.twice"


# The lapse ---------------------------------------------------------------------------------


def test_a_decision_lapses_the_rule_sets_months_after_it_without_appeal_or_new_violation(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    rules = engine.discipline_rules()
    d = _decide(inspector, tree, people.k1)
    lapses = _months(rules, DECIDED)
    state = selectors.discipline_state(d, lapses)
    assert (state.lapses_on, state.status, state.in_force) == (lapses, "lapsed", False)
    assert selectors.disciplines_in_force(
        inspector, lapses - dt.timedelta(days=1), member=people.k1
    )


def test_no_lapse_while_an_appeal_waits_and_the_months_count_from_its_decision(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace, token_clients: Any
) -> None:
    rules = engine.discipline_rules()
    d = _decide(inspector, tree, people.k1)
    appeal = _lodge(inspector, tree, d, D(2025, 3, 20))
    far = _months(rules, DECIDED) + dt.timedelta(days=30)
    state = selectors.discipline_state(d, far)
    assert (state.lapses_on, state.status, state.in_force) == (None, "in_force", True)
    assert selectors.disciplines_in_force(inspector, far, member=people.k1) == [d]
    # The member's dossier and the API say the same.
    [row] = member_disciplines(inspector, people.k1, far)
    assert row["state"].lapses_on is None and row["state"].state == "in_force"
    api = token_clients([("p_inspector", "inspector", tree.P)])["p_inspector"]
    body = api.get(f"/api/v1/disciplines/{d.pk}?as_of={far.isoformat()}").json()
    assert (body["lapses_on"], body["in_force"]) == (None, True)
    [listed] = api.get(f"/api/v1/disciplines?as_of={far.isoformat()}").json()["items"]
    assert (listed["lapses_on"], listed["in_force"]) == (None, True)

    upheld_on = D(2025, 5, 20)
    appeal_decide(actor=inspector, appeal=appeal, decided_on=upheld_on, outcome="upheld")
    lapses = _months(rules, upheld_on)
    assert selectors.discipline_state(d, far).lapses_on == lapses
    assert selectors.discipline_state(d, lapses - dt.timedelta(days=1)).in_force
    assert not selectors.discipline_state(d, lapses).in_force
    # The bans while in force follow: no transfer until then.
    [ban] = active_restrictions(people.k1.pk, lapses - dt.timedelta(days=1), TRANSFER)
    assert ban.until == lapses
    assert active_restrictions(people.k1.pk, lapses, TRANSFER) == ()
    body = api.get(f"/api/v1/disciplines/{d.pk}?as_of={far.isoformat()}").json()
    assert body["lapses_on"] == lapses.isoformat()


def test_a_later_discipline_before_the_lapse_keeps_the_earlier_in_force(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    rules = engine.discipline_rules()
    first = _decide(inspector, tree, people.k1, form="reprimand")
    later_day = _months(rules, DECIDED) - dt.timedelta(days=10)
    later = _decide(
        inspector,
        tree,
        people.k1,
        decided_on=later_day,
        violation_on=later_day - dt.timedelta(days=30),
        violation="Vi phạm mới",
    )
    later_lapses = _months(rules, later_day)
    assert selectors.discipline_state(later, DECIDED).lapses_on == later_lapses
    assert selectors.discipline_state(first, DECIDED).lapses_on == later_lapses
    between = _months(rules, DECIDED) + dt.timedelta(days=5)
    assert [d.pk for d in selectors.disciplines_in_force(inspector, between, member=people.k1)] == [
        later.pk,
        first.pk,
    ]


def test_a_discipline_after_the_lapse_does_not_revive_the_earlier(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    rules = engine.discipline_rules()
    first = _decide(inspector, tree, people.k1, form="reprimand")
    after = _months(rules, DECIDED) + dt.timedelta(days=1)
    _decide(
        inspector,
        tree,
        people.k1,
        decided_on=after,
        violation_on=after - dt.timedelta(days=30),
        violation="Vi phạm mới",
    )
    assert selectors.discipline_state(first, after).lapses_on == _months(rules, DECIDED)


def test_the_engine_reads_the_months_from_the_rule_set(ruleset: Any) -> None:
    """`test-alt` lapses after other months: nothing in the code says 12."""
    rules = engine.discipline_rules(ruleset)
    day = D(2025, 1, 15)
    assert engine.lapse_day("warning", day, rules=rules) == add_months(day, rules.lapse_months)
    later = (D(2025, 2, 1), D(2026, 6, 1))
    standing = engine.Standing(later=(later,))
    assert engine.lapse_day("warning", day, standing, rules=rules) == max(
        add_months(day, rules.lapse_months), later[1]
    )
    assert (
        engine.lapse_day("warning", day, engine.Standing(appeal_pending=True), rules=rules) is None
    )


def test_a_decision_reversed_on_appeal_shows_no_lapse_on_its_pages(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    """A warning annulled on appeal is not "in force until" its twelve months, an expulsion
    annulled on appeal does not "never lapse", a warning whose appeal waits has no lapse
    day yet; an expulsion that stands never lapses."""
    from django.test import Client

    warning = _decide(inspector, tree, people.k1, violation_kind="ethics_lifestyle")
    _appeal = _lodge(inspector, tree, warning, D(2025, 3, 20))
    appeal_decide(actor=inspector, appeal=_appeal, decided_on=D(2025, 4, 10), outcome="annulled")
    expelled = _decide(
        inspector,
        tree,
        people.k1b,
        form="expulsion",
        body=tree.G1,
        body_kind="committee",
        may_admit=True,
        document_text="3-QĐ/ĐU",
        proposing_for=3,
        proposing_total=4,
    )
    _appeal = appeal_lodge(
        actor=inspector,
        discipline=expelled,
        lodged_on=D(2025, 3, 20),
        received_on=expelled.decided_on,
        body=tree.C1,
        body_kind="committee",
    )
    appeal_decide(actor=inspector, appeal=_appeal, decided_on=D(2025, 4, 10), outcome="annulled")
    waiting = _decide(
        inspector, tree, people.k1, decided_on=D(2025, 5, 5), violation_kind="party_fees"
    )
    _lodge(inspector, tree, waiting, D(2025, 5, 20))

    client = Client()
    client.force_login(inspector)
    lapse = add_months(DECIDED, engine.discipline_rules().lapse_months)
    for d in (warning, expelled, waiting):
        html = client.get(f"/disciplines/{d.pk}/").content.decode()
        assert "never lapses" not in html and "lapses on" not in html, d.form
    dossier = client.get(f"/members/{people.k1.pk}/").content.decode()
    rows = dossier[dossier.index('data-testid="member-disciplines"') :]
    rows = rows[: rows.index("</table>")]
    assert "never lapses" not in rows
    assert f"{lapse:%B} {lapse.day}, {lapse.year}" not in rows  # the annulled one's months
    dossier = client.get(f"/members/{people.k1b.pk}/").content.decode()
    rows = dossier[dossier.index('data-testid="member-disciplines"') :]
    assert "never lapses" not in rows[: rows.index("</table>")]

    standing = _decide(
        inspector,
        tree,
        people.k1b,
        form="expulsion",
        body=tree.G1,
        body_kind="committee",
        may_admit=True,
        decided_on=D(2025, 6, 2),
        violation_on=D(2025, 1, 5),
        document_text="4-QĐ/ĐU",
        proposing_for=3,
        proposing_total=4,
    )
    assert "never lapses" in client.get(f"/disciplines/{standing.pk}/").content.decode()


def test_a_body_larger_than_the_records_hold_is_refused_not_stored(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    """Counts beyond the records' bound (a page, a file or the API alike) are refused on
    their field, before anything is written: not an overflow of the database."""
    from cadrebook.core.errors import ServiceError
    from cadrebook.inspections.choices import MAX_VOTERS

    big = MAX_VOTERS + 1
    for kw, field in (
        ({"votes": {"warning": big, "none": 0}, "voters_total": big}, "voters_total"),
        ({"proposing_for": 1, "proposing_total": 10**20}, "proposing_total"),
    ):
        with pytest.raises(ServiceError) as caught:
            _decide(inspector, tree, people.k1, **kw)
        assert (caught.value.code, caught.value.field) == ("discipline.votes_too_many", field)
    assert not Discipline.objects.exists()
    assert not AuditEntry.objects.filter(event_type="discipline.decided").exists()
