"""Property: the MemberPeriod rows the services write are exactly the pure fold's periods.

Random sequences of attempted events over a few cells are filtered through the pure
`apply_event` (keeping only what the rules accept), then recorded through the services on a
real member. The rows, the as-of query and a random correction must all agree with the fold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.members import services as ms
from cadrebook.members.choices import EventType as E
from cadrebook.members.expulsion import by_discipline_decision
from cadrebook.members.lifecycle import EventData, Period, State, apply_event, fold
from cadrebook.members.models import Member, MemberPeriod
from cadrebook.members.selectors import member_status_as_of, periods_as_of

D = dt.date
BIRTH = D(1960, 1, 1)
START = D(1990, 1, 1)

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Frequent transitions appear more than once so that histories get somewhere; the ones that
# end membership are rarer, or most histories would stop after a few events.
TYPES = [
    *[E.RECOGNIZED] * 3,
    E.NOT_RECOGNIZED,
    *[E.TRANSFER_OUT] * 4,
    *[E.TRANSFER_IN] * 4,
    E.TRANSFER_RETURNED,
    *[E.TEMPORARY_TRANSFER] * 2,
    *[E.TEMPORARY_TRANSFER_ENDED] * 2,
    *[E.EXEMPTED] * 3,
    *[E.EXEMPTION_ENDED] * 3,
    E.REMOVED,
    E.EXPELLED,
    E.DECEASED,
    *[E.READMITTED] * 3,
    E.DECISION_EXTENDED,  # no period: the periods must not notice it
]
ENDINGS = {E.NOT_RECOGNIZED, E.REMOVED, E.EXPELLED, E.DECEASED}
GAPS = [45, 0, 1, 200, 400, 1100]  # in days; 1100 clears the readmission wait
# Index into the units offered: K1, K2, GC (cells) and G1 (holds no members); None = no unit.
UNIT_CHOICES = [None, 0, 1, 2, 3]

attempts = st.lists(
    st.tuples(
        st.sampled_from(TYPES),
        st.sampled_from(GAPS),
        st.sampled_from(UNIT_CHOICES),
        # Rarely, a transfer out of the deployment instead of to a cell.
        st.sampled_from([False, False, False, True]),
        # When set, a refused attempt falls back to the next type (in TYPES order, endings
        # left out) that the fold accepts, so that histories get long enough to be interesting.
        st.sampled_from([True, True, False]),
    ),
    min_size=8,
    max_size=20,
)


@dataclass
class History:
    events: list[EventData]  # accepted events, ids in recording order
    state: State


def _units(tree: Any) -> list[Any]:
    return [tree.K1, tree.K2, tree.GC, tree.G1]


def _checker(tree: Any) -> Any:
    def check(unit_id: int, day: dt.date, field_name: str) -> None:
        if unit_id == tree.G1.pk:
            raise RuleViolation("unit.holds_no_members", "not a cell", field=field_name)

    return check


def _attempt(
    type_: str, day: dt.date, unit_id: int | None, outside: bool, state: State, id_: int
) -> EventData:
    if type_ == E.READMITTED:
        return EventData(type=type_, date=day, unit_id=unit_id, id=id_)
    if type_ == E.TRANSFER_OUT and outside:
        return EventData(type=type_, date=day, destination="Another province", id=id_)
    if type_ in (E.TRANSFER_OUT, E.TEMPORARY_TRANSFER):
        return EventData(type=type_, date=day, to_unit_id=unit_id, id=id_)
    if type_ == E.TRANSFER_IN:
        return EventData(type=type_, date=day, unit_id=state.pending_to, id=id_)
    return EventData(type=type_, date=day, id=id_)


def _accepted_history(tree: Any, rules: Any, tries: list[tuple]) -> History:
    """Keep the attempted events that the pure fold accepts, in order, dated in the past."""
    units = _units(tree)
    check = _checker(tree)
    today = timezone.localdate()
    first = [
        EventData(type=E.REGISTERED, date=START, unit_id=tree.K1.pk, id=0),
        EventData(type=E.ADMITTED, date=START, id=1),
    ]
    state = State()
    for ev in first:
        state = apply_event(state, ev, rules=rules, birth_date=BIRTH, check_unit=check)
    events = list(first)
    day = START
    for type_, gap, unit_choice, outside, fall_back in tries:
        day = day + dt.timedelta(days=gap)
        if day > today:
            break
        unit_id = units[unit_choice].pk if unit_choice is not None else None
        start = TYPES.index(type_)
        candidates = [type_]
        if fall_back:
            candidates += [t for t in TYPES[start:] + TYPES[:start] if t not in ENDINGS]
        for candidate in dict.fromkeys(candidates):
            ev = _attempt(candidate, day, unit_id, outside, state, len(events))
            try:
                state = apply_event(state, ev, rules=rules, birth_date=BIRTH, check_unit=check)
            except RuleViolation:
                continue
            events.append(ev)
            break
    return History(events, state)


def _record(actor: Any, tree: Any, history: History) -> tuple[Member, list[Any]]:
    """Record the accepted history through the services; return the member and its events."""
    from cadrebook.orgs.models import OrgUnit

    units = {u.pk: u for u in OrgUnit.objects.all()}
    registered = history.events[0]
    member = ms.member_register_applicant(
        taken_over=True,
        actor=actor,
        unit=tree.K1,
        date=registered.date,
        full_name="Phạm Văn Thử",
        gender="male",
        birth_date=BIRTH,
    )
    rows = [member.events.get()]
    for ev in history.events[1:]:
        # An expulsion is recorded by the discipline service, inside this context.
        with by_discipline_decision():
            rows.append(
                ms.member_record_event(
                    taken_over=True,  # what the fold accepts, whatever paperwork it came with
                    actor=actor,
                    member=member,
                    type=ev.type,
                    date=ev.date,
                    unit=units.get(ev.unit_id),
                    to_unit=units.get(ev.to_unit_id),
                    destination=ev.destination,
                )
            )
    return Member.objects.get(pk=member.pk), rows


def _rows(member: Member) -> list[Period]:
    return [
        Period(p.unit_id, p.status, p.exempt, p.valid_from, p.valid_to)
        for p in MemberPeriod.objects.filter(member=member).order_by("valid_from", "id")
    ]


def _period_on(periods: list[Period], day: dt.date) -> Period | None:
    found = [p for p in periods if p.valid_from <= day and (p.valid_to is None or day < p.valid_to)]
    assert len(found) <= 1, f"overlapping periods on {day}: {found}"
    return found[0] if found else None


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(tries=attempts)
def test_the_period_rows_are_exactly_the_fold_of_the_recorded_events(actor, tree, rules, tries):
    history = _accepted_history(tree, rules, tries)
    event(f"accepted events: {min(len(history.events) // 4 * 4, 16)}+")
    event(f"periods: {min(len(history.state.periods), 5)}")
    member, _ = _record(actor, tree, history)
    expected = fold(history.events, rules=rules, birth_date=BIRTH).periods
    assert expected == history.state.periods
    assert _rows(member) == expected
    assert member.status == history.state.status
    assert member.unit_id == history.state.unit_id
    assert member.exempt == history.state.exempt
    assert member.pending_transfer_to_id == history.state.pending_to
    assert member.admitted_on == history.state.admitted_on
    assert member.recognized_on == history.state.recognized_on
    assert member.probation_start == history.state.probation_since
    assert member.temporary_until == history.state.temp_until
    # Periods never overlap and never have zero length.
    for a, b in zip(expected, expected[1:], strict=False):
        assert a.valid_to is not None and a.valid_to <= b.valid_from
    assert all(p.valid_to is None or p.valid_from < p.valid_to for p in expected)


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(
    tries=attempts,
    days=st.lists(
        st.dates(min_value=D(1989, 6, 1), max_value=D(2026, 11, 22)), min_size=1, max_size=10
    ),
)
def test_the_as_of_query_agrees_with_the_fold_on_any_day(actor, tree, rules, tries, days):
    history = _accepted_history(tree, rules, tries)
    member, _ = _record(actor, tree, history)
    periods = history.state.periods
    # Boundaries are where off-by-one errors live: check every period's first and last day.
    edges = [p.valid_from for p in periods] + [p.valid_to for p in periods if p.valid_to]
    edges += [d - dt.timedelta(days=1) for d in edges]
    for day in days + edges:
        want = _period_on(periods, day)
        rows = list(periods_as_of(day).filter(member=member))
        got = [Period(r.unit_id, r.status, r.exempt, r.valid_from, r.valid_to) for r in rows]
        assert got == ([want] if want else []), day
        found = member_status_as_of(member, day)
        found_key = (found.unit_id, found.status, found.exempt) if found else None
        want_key = (want.unit_id, want.status, want.exempt) if want else None
        assert found_key == want_key, day


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(
    tries=attempts,
    pick=st.integers(min_value=0, max_value=100),
    shift=st.sampled_from([None, -400, -30, -1, 1, 30, 400]),  # None voids the event
)
def test_a_correction_agrees_with_the_fold_or_is_refused_changing_nothing(
    actor, tree, rules, tries, pick, shift
):
    history = _accepted_history(tree, rules, tries)
    member, rows = _record(actor, tree, history)
    index = pick % len(history.events)
    target = history.events[index]
    new_date = (
        None if shift is None else min(target.date + dt.timedelta(days=shift), timezone.localdate())
    )
    correction = EventData(
        type=E.CORRECTION,
        date=new_date or target.date,
        id=len(history.events),
        corrects_id=target.id,
        void=shift is None,
    )
    event(f"correction of {target.type}, {'void' if shift is None else 'restated'}")
    try:
        expected: State | None = fold(
            [*history.events, correction],
            rules=rules,
            birth_date=BIRTH,
            check_unit=_checker(tree),
        )
    except RuleViolation:
        expected = None
    event("correction refused" if expected is None else "correction accepted")
    before_rows, before_events = _rows(member), member.events.count()
    kwargs = {"void": True} if shift is None else {"date": new_date}
    if expected is None:
        with pytest.raises(ServiceError):
            ms.member_correct_event(actor=actor, event=rows[index], reason="check", **kwargs)
        assert _rows(member) == before_rows
        assert member.events.count() == before_events
        assert Member.objects.get(pk=member.pk).status == history.state.status
    else:
        ms.member_correct_event(actor=actor, event=rows[index], reason="check", **kwargs)
        assert _rows(member) == expected.periods
        corrected = Member.objects.get(pk=member.pk)
        assert corrected.status == expected.status
        assert corrected.probation_start == expected.probation_since
        assert corrected.temporary_until == expected.temp_until
