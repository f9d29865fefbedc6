"""The member lifecycle as a pure fold over events.

`apply_event(state, event)` checks one event against the state the earlier events left and
the rule set, and returns the next state or raises `RuleViolation`. Services validate a new
event with it, and the `MemberPeriod` rows are exactly `fold(events).periods` — which the
property tests check. No database access happens here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cadrebook.core.dates import add_months, age_in_months, months_between
from cadrebook.core.errors import RuleViolation
from cadrebook.core.rules import Ruleset
from cadrebook.members.choices import EventType as E
from cadrebook.members.choices import MemberStatus as S
from cadrebook.members.event_types import (
    DOCUMENT_RULE,
    REASON_RULE,
    VOTE_FIELDS,
    VOTE_RULE,
    VOTE_SHARES,
)

# (unit_id, date, field) -> None, raising RuleViolation when the unit cannot take members.
UnitCheck = Callable[[int, dt.date, str], None]

# While a transfer is pending the member is on the way between two cells: only the answer to
# the transfer (accepted, returned), a death, and the end of what already runs (an exemption,
# a temporary transfer) may be recorded. Every other decision, an ending above all, waits for
# the answer: otherwise the receiving cell's pending transfer would vanish with it.
ALLOWED_WHILE_PENDING = frozenset(
    {
        E.TRANSFER_IN,
        E.TRANSFER_RETURNED,
        E.DECEASED,
        E.EXEMPTION_ENDED,
        E.TEMPORARY_TRANSFER_ENDED,
    }
)


@dataclass(frozen=True)
class EventData:
    """The parts of a `MemberEvent` that the fold reads."""

    type: str
    date: dt.date
    unit_id: int | None = None
    to_unit_id: int | None = None
    destination: str = ""
    id: int = 0
    corrects_id: int | None = None
    void: bool = False
    # What a new decision is recorded with; read by `check_decision`, not by the fold.
    document: str = ""
    reason: str = ""
    taken_over: bool = False
    until: dt.date | None = None  # the planned end of a temporary transfer
    for_study: bool = False  # a temporary transfer for study (its own longest length)
    # The cell's vote on an admission or a recognition: in favour, against, and the cell's
    # full members (the denominator of the rule set's share).
    votes_for: int | None = None
    votes_against: int | None = None
    full_members: int | None = None


@dataclass(frozen=True)
class Period:
    unit_id: int
    status: str
    exempt: bool
    valid_from: dt.date
    valid_to: dt.date | None = None

    def ending(self, day: dt.date) -> Period:
        """This period closed on `day` (what dataclasses.replace would give, built directly:
        the bulk import closes a period for most of the members it folds)."""
        return Period(self.unit_id, self.status, self.exempt, self.valid_from, day)


@dataclass
class State:
    """Where a member stands after a sequence of events."""

    status: str | None = None
    unit_id: int | None = None
    exempt: bool = False
    pending_to: int | None = None
    temp_host_id: int | None = None
    temp_until: dt.date | None = None  # the planned end of the running temporary transfer
    admitted_on: dt.date | None = None
    probation_start: dt.date | None = None
    recognized_on: dt.date | None = None
    left_on: dt.date | None = None
    readmissions: int = 0
    # The cell's latest proposal to admit an applicant, while the upper committee has not
    # decided; and whether the deadline of the decision now pending (that admission, or a
    # probationary member's recognition) was extended.
    proposed_on: dt.date | None = None
    decision_extended: bool = False
    last_date: dt.date | None = None
    periods: list[Period] = field(default_factory=list)
    spans: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)

    @property
    def is_active(self) -> bool:
        return self.status in (S.PROBATIONARY, S.FULL)

    @property
    def probation_since(self) -> dt.date | None:
        """The start of the running probation, or None when the member is not on probation:
        what `Member.probation_start` keeps."""
        return self.probation_start if self.status == S.PROBATIONARY else None

    def copy(self) -> State:
        """A copy whose lists may change without touching this state (the fold keeps every
        intermediate state intact). Faster than dataclasses.replace, which the bulk import
        would otherwise spend a good part of its time in."""
        new = object.__new__(State)
        new.__dict__.update(self.__dict__)
        new.periods = list(self.periods)
        new.spans = list(self.spans)
        return new


def _no_unit_check(unit_id: int, day: dt.date, field_name: str) -> None:
    return None


def effective_events(events: Iterable[EventData]) -> list[EventData]:
    """Apply corrections: a voided event disappears, a restated one takes the new values."""
    events = list(events)
    corrections: dict[int, EventData] = {}
    for ev in events:
        if ev.type == E.CORRECTION and ev.corrects_id is not None:
            corrections[ev.corrects_id] = ev  # the latest correction wins
    result = []
    for ev in events:
        if ev.type == E.CORRECTION:
            continue
        corr = corrections.get(ev.id)
        if corr is not None:
            if corr.void:
                continue
            ev = replace(
                ev,
                date=corr.date,
                unit_id=corr.unit_id if corr.unit_id is not None else ev.unit_id,
                to_unit_id=corr.to_unit_id if corr.to_unit_id is not None else ev.to_unit_id,
            )
        result.append(ev)
    result.sort(key=lambda e: (e.date, e.id))
    return result


class _Fold:
    def __init__(
        self,
        rules: Ruleset,
        birth_date: dt.date | None,
        check_unit: UnitCheck | None,
    ) -> None:
        self.rules = rules
        self.birth_date = birth_date
        self.check_unit = check_unit or _no_unit_check

    # Period bookkeeping ------------------------------------------------------------------
    @staticmethod
    def _close(state: State, day: dt.date) -> None:
        if state.periods and state.periods[-1].valid_to is None:
            last = state.periods[-1]
            if last.valid_from >= day:
                state.periods.pop()  # a period of no length is no period
            else:
                state.periods[-1] = last.ending(day)

    @staticmethod
    def _open(state: State, day: dt.date) -> None:
        assert state.unit_id is not None and state.status is not None
        state.periods.append(Period(state.unit_id, state.status, state.exempt, day))

    def _reopen(self, state: State, day: dt.date) -> None:
        self._close(state, day)
        self._open(state, day)

    def _end_membership(self, state: State, day: dt.date, status: str) -> None:
        self._close(state, day)
        state.status = status
        state.exempt = False
        state.pending_to = None
        state.temp_host_id = None
        state.temp_until = None
        state.proposed_on = None
        state.decision_extended = False
        state.left_on = day
        if state.spans and state.spans[-1][1] is None:
            state.spans[-1] = (state.spans[-1][0], day)

    # Checks --------------------------------------------------------------------------
    def _refuse(self, section: str, code: str, message: str, fld: str | None = None) -> None:
        raise self.rules.violation(section, code, message, field=fld)

    def _need_status(self, state: State, allowed: Sequence[str], ev: EventData) -> None:
        if state.status not in allowed:
            raise RuleViolation(
                "member.status_forbids_event",
                _("A member whose status is %(status)s cannot have the event %(event)s.")
                % {"status": state.status or _("unregistered"), "event": ev.type},
                field="type",
            )

    def _check_age(self, day: dt.date) -> None:
        if self.birth_date is None:
            self._refuse(
                "admission",
                "admission.birth_date_missing",
                _("The date of birth is needed to check the admission age."),
                "birth_date",
            )
            return
        months = age_in_months(self.birth_date, day)
        low = self.rules.int("admission.min_age_months")
        high = self.rules.int("admission.max_age_months")
        if months < low:
            self._refuse(
                "admission",
                "admission.too_young",
                _(
                    "On %(date)s the person is %(y)d years %(m)d months old; the minimum is %(min)d years."
                )
                % {"date": day, "y": months // 12, "m": months % 12, "min": low // 12},
                "date",
            )
        if months > high:
            self._refuse(
                "admission",
                "admission.too_old",
                _(
                    "On %(date)s the person is %(y)d years %(m)d months old; the maximum is %(max)d years."
                )
                % {"date": day, "y": months // 12, "m": months % 12, "max": high // 12},
                "date",
            )

    # The transitions -------------------------------------------------------------------
    def apply(self, state: State, ev: EventData) -> State:
        state = state.copy()
        handler = getattr(self, "_on_" + ev.type, None)
        if handler is None:
            raise RuleViolation(
                "event.type_unknown", _("Unknown event type %(t)s.") % {"t": ev.type}, field="type"
            )
        if state.pending_to is not None and ev.type not in ALLOWED_WHILE_PENDING:
            raise RuleViolation(
                "transfer.already_pending",
                _("A transfer is already pending for this member."),
                field="type",
            )
        handler(state, ev)
        state.last_date = ev.date
        return state

    def _on_registered(self, state: State, ev: EventData) -> None:
        self._need_status(state, [None], ev)  # type: ignore[list-item]
        if ev.unit_id is None:
            raise RuleViolation("event.unit_missing", _("Name the cell."), field="unit")
        self.check_unit(ev.unit_id, ev.date, "unit")
        state.status = S.APPLICANT
        state.unit_id = ev.unit_id

    def _on_admission_proposed(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.APPLICANT], ev)
        # The admission age counts on the day the cell considers the case (DOMAIN: 294-QĐ/TW).
        self._check_age(ev.date)
        # A new resolution of the cell (the dossier sent back and proposed again) is a new
        # decision for the upper committee: its deadline runs afresh, unextended.
        state.proposed_on = ev.date
        state.decision_extended = False

    def _on_decision_extended(self, state: State, ev: EventData) -> None:
        refusal = extension_refusal(state, rules=self.rules, on=ev.date)
        if refusal is not None:
            raise refusal
        state.decision_extended = True

    def _on_admitted(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.APPLICANT], ev)
        # The age counts on the day the cell considered the case: its proposal when recorded
        # (the upper committee's decision may come after a birthday past the limit).
        self._check_age(state.proposed_on or ev.date)
        unit = ev.unit_id or state.unit_id
        assert unit is not None
        self.check_unit(unit, ev.date, "unit")
        state.unit_id = unit
        state.status = S.PROBATIONARY
        state.admitted_on = ev.date
        state.probation_start = ev.date
        # The admission answers the proposal; the recognition is the next decision pending.
        state.proposed_on = None
        state.decision_extended = False
        state.spans.append((ev.date, None))
        self._open(state, ev.date)

    def _probation_end(self, state: State) -> dt.date:
        assert state.probation_start is not None
        return add_months(state.probation_start, self.rules.int("probation.months"))

    def _on_recognized(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.PROBATIONARY], ev)
        end = self._probation_end(state)
        if ev.date < end:
            self._refuse(
                "probation",
                "probation.not_completed",
                _(
                    "Probation runs %(n)d months, until %(end)s; recognition cannot be dated %(date)s."
                )
                % {"n": self.rules.int("probation.months"), "end": end, "date": ev.date},
                "date",
            )
        # Recognition takes effect at the end of probation even when decided late: every
        # period from that point on is a full member's, split where the point falls inside one.
        state.status = S.FULL
        state.decision_extended = False
        state.recognized_on = end
        periods: list[Period] = []
        for p in state.periods:
            if p.valid_to is not None and p.valid_to <= end:
                periods.append(p)
            elif p.valid_from < end:
                periods.append(p.ending(end))
                periods.append(Period(p.unit_id, S.FULL, p.exempt, end, p.valid_to))
            else:
                periods.append(Period(p.unit_id, S.FULL, p.exempt, p.valid_from, p.valid_to))
        state.periods = periods

    def _on_not_recognized(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.PROBATIONARY], ev)
        end = self._probation_end(state)
        if ev.date < end:
            self._refuse(
                "probation",
                "probation.not_completed",
                _("Probation runs until %(end)s; the cell reviews it only after that.")
                % {"end": end},
                "date",
            )
        self._end_membership(state, ev.date, S.REMOVED)

    def _on_transfer_out(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.PROBATIONARY, S.FULL], ev)
        if ev.to_unit_id is None:
            if not ev.destination:
                raise RuleViolation(
                    "transfer.destination_missing",
                    _("Name the receiving cell, or the destination outside this deployment."),
                    field="to_unit",
                )
            self._end_membership(state, ev.date, S.LEFT)
            return
        if ev.to_unit_id == state.unit_id:
            raise RuleViolation(
                "transfer.same_unit",
                _("The member already belongs to that cell."),
                field="to_unit",
            )
        self.check_unit(ev.to_unit_id, ev.date, "to_unit")
        state.pending_to = ev.to_unit_id

    def _on_transfer_in(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.PROBATIONARY, S.FULL], ev)
        if state.pending_to is None:
            raise RuleViolation(
                "transfer.none_pending", _("No transfer is pending for this member."), field="type"
            )
        self.check_unit(state.pending_to, ev.date, "to_unit")
        state.unit_id = state.pending_to
        state.pending_to = None
        state.temp_host_id = None
        state.temp_until = None
        self._reopen(state, ev.date)

    def _on_transfer_returned(self, state: State, ev: EventData) -> None:
        if state.pending_to is None:
            raise RuleViolation(
                "transfer.none_pending", _("No transfer is pending for this member."), field="type"
            )
        state.pending_to = None

    def _on_temporary_transfer(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.PROBATIONARY, S.FULL], ev)
        if state.temp_host_id is not None:
            raise RuleViolation(
                "transfer.temporary_active",
                _("The member is already on a temporary transfer."),
                field="type",
            )
        if ev.to_unit_id is None or ev.to_unit_id == state.unit_id:
            raise RuleViolation("transfer.host_missing", _("Name the host cell."), field="to_unit")
        self.check_unit(ev.to_unit_id, ev.date, "to_unit")
        # The member keeps counting, voting and standing in the home cell: no new period.
        state.temp_host_id = ev.to_unit_id
        state.temp_until = ev.until

    def _on_temporary_transfer_ended(self, state: State, ev: EventData) -> None:
        if state.temp_host_id is None:
            raise RuleViolation(
                "transfer.temporary_none",
                _("The member is not on a temporary transfer."),
                field="type",
            )
        state.temp_host_id = None
        state.temp_until = None

    def _on_exempted(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.PROBATIONARY, S.FULL], ev)
        if state.exempt:
            raise RuleViolation(
                "exemption.already", _("The member is already exempted."), field="type"
            )
        state.exempt = True
        self._reopen(state, ev.date)

    def _on_exemption_ended(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.PROBATIONARY, S.FULL], ev)
        if not state.exempt:
            raise RuleViolation("exemption.none", _("The member is not exempted."), field="type")
        state.exempt = False
        self._reopen(state, ev.date)

    def _on_removed(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.PROBATIONARY, S.FULL], ev)
        self._end_membership(state, ev.date, S.REMOVED)

    def _on_expelled(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.PROBATIONARY, S.FULL], ev)
        refusal = expulsion_refusal(state.status or S.FULL, rules=self.rules)
        if refusal is not None:
            raise refusal
        self._end_membership(state, ev.date, S.EXPELLED)

    def _on_deceased(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.APPLICANT, S.PROBATIONARY, S.FULL], ev)
        self._end_membership(state, ev.date, S.DECEASED)

    def _on_readmitted(self, state: State, ev: EventData) -> None:
        self._need_status(state, [S.REMOVED], ev)
        assert state.left_on is not None
        gap = self.rules.int("readmission.min_months_after_leaving")
        if months_between(state.left_on, ev.date) < gap:
            self._refuse(
                "readmission",
                "readmission.too_soon",
                _(
                    "Readmission needs %(n)d months after leaving on %(left)s; it is possible from %(from)s."
                )
                % {"n": gap, "left": state.left_on, "from": add_months(state.left_on, gap)},
                "date",
            )
        if state.readmissions >= self.rules.int("readmission.max_times"):
            self._refuse(
                "readmission",
                "readmission.limit",
                _("A member may be readmitted only %(n)d time(s).")
                % {"n": self.rules.int("readmission.max_times")},
                "type",
            )
        self._check_age(ev.date)
        unit = ev.unit_id or state.unit_id
        assert unit is not None
        self.check_unit(unit, ev.date, "unit")
        state.unit_id = unit
        state.readmissions += 1
        state.status = S.PROBATIONARY
        state.probation_start = ev.date
        state.decision_extended = False  # a new probation, a new recognition to decide
        state.recognized_on = None
        state.left_on = None
        state.spans.append((ev.date, None))
        self._open(state, ev.date)


# The upper committee's decisions and the rule set's section of their deadline: an admission
# once the cell has proposed it, a recognition while the member is on probation.
def pending_decision(state: State) -> str | None:
    """The section ("admission", "probation") of the decision the upper committee owes on
    the member now, or None when it owes none."""
    if state.status == S.APPLICANT and state.proposed_on is not None:
        return "admission"
    if state.status == S.PROBATIONARY:
        return "probation"
    return None


def expulsion_refusal(status: str, *, rules: Ruleset) -> RuleViolation | None:
    """Why a probationary or full member cannot be expelled, or None. The forms of discipline
    differ by status (a probationary member may be reprimanded or warned, not expelled): the
    rule set lists them. The fold raises it; the dossier asks it before offering expulsion."""
    key = (
        "discipline.forms_probationary_member"
        if status == S.PROBATIONARY
        else "discipline.forms_full_member"
    )
    forms = [str(f) for f in rules.value(key)]
    if "expulsion" in forms:
        return None
    return rules.violation(
        "discipline",
        "discipline.form_not_allowed",
        _(
            "A member whose status is %(status)s cannot be expelled; the forms of "
            "discipline for them are: %(forms)s."
        )
        % {"status": S(status).label, "forms": ", ".join(forms)},
        field="type",
    )


def extension_refusal(state: State, *, rules: Ruleset, on: dt.date) -> RuleViolation | None:
    """Why the upper committee's deadline cannot be extended on `on` (nothing pending, or
    extended already: the rule set gives one extension of each decision), or None. The fold
    raises it; the browser and the API ask it (for today) before offering or refusing the
    extension.

    A probationary member's recognition is pending with the upper committee only once the
    probation has ended: the cell reviews it after the probation, then the upper committee
    decides (DOMAIN: probation, 30 working days each); an extension before then is refused."""
    section = pending_decision(state)
    if section == "probation":
        assert state.probation_start is not None
        end = add_months(state.probation_start, rules.int("probation.months"))
        if on < end:
            return RuleViolation(
                "decision.nothing_pending",
                _(
                    "No decision of the upper committee is pending for this member on "
                    "%(date)s: it decides on the recognition after the probation ends on "
                    "%(end)s."
                )
                % {"date": on, "end": end},
                field="date",
            )
    if section is None:
        return RuleViolation(
            "decision.nothing_pending",
            _(
                "No decision of the upper committee is pending for this member: it decides on "
                "an applicant's admission once the cell has proposed it, and on a probationary "
                "member's recognition."
            ),
            field="type",
        )
    if state.decision_extended:
        return rules.violation(
            section,
            "decision.already_extended",
            _(
                "The deadline of this decision was already extended by %(n)d working days; it "
                "can be extended only once."
            )
            % {"n": rules.int(f"{section}.decision_extension_working_days")},
            field="type",
        )
    return None


def apply_event(
    state: State,
    event: EventData,
    *,
    rules: Ruleset,
    birth_date: dt.date | None,
    check_unit: UnitCheck | None = None,
) -> State:
    """Check one event against `state` and return the state after it."""
    return _Fold(rules, birth_date, check_unit).apply(state, event)


def fold(
    events: Iterable[EventData],
    *,
    rules: Ruleset,
    birth_date: dt.date | None,
    check_unit: UnitCheck | None = None,
) -> State:
    """The state after all effective events (corrections applied), in date order."""
    folder = _Fold(rules, birth_date, check_unit)
    state = State()
    for ev in effective_events(events):
        state = folder.apply(state, ev)
    return state


def party_age_days(state: State, on: dt.date) -> int:
    """Days of membership up to `on`, counted from admission, interruptions left out."""
    total = 0
    for start, end in state.spans:
        stop = min(end or on, on)
        if stop > start:
            total += (stop - start).days
    return total


# The rules a decision must meet when it is recorded -------------------------------------------
# The fold decides whether an event may follow the history; these say what a newly recorded
# decision must come with. They are not applied again to recorded history (histories taken
# over from elsewhere keep what they had), and a record marked `taken_over` (a decision made
# before Cadrebook, copied from the old files) is exempt from what the old files may lack.
def check_paperwork(ev: EventData, *, rules: Ruleset) -> None:
    """The deciding document and the reason the rule set requires for `ev.type`
    (`records.document_required`, `records.reason_required`)."""
    if ev.taken_over:
        return
    if ev.type in rules.value(REASON_RULE) and not ev.reason.strip():
        raise rules.violation(
            "records",
            "event.reason_missing",
            _("Give the reason for %(event)s.") % {"event": E(ev.type).label},
            field="reason",
        )
    if ev.type in rules.value(DOCUMENT_RULE) and not ev.document.strip():
        raise rules.violation(
            "records",
            "event.document_missing",
            _("Give the deciding document of %(event)s, e.g. 28-NQ/TU.")
            % {"event": E(ev.type).label},
            field="document",
        )


def check_decision(ev: EventData, before: State, *, rules: Ruleset) -> None:
    """Everything a newly recorded decision must meet besides the fold's transition rules
    (`before` is the state it follows)."""
    check_paperwork(ev, rules=rules)
    check_vote(ev, rules=rules)
    if ev.type == E.TEMPORARY_TRANSFER:
        check_temporary_length(ev, rules=rules)


# The decisions the cell votes on (with the section and rule of the share of its full
# members that must be in favour) and the counts of a vote: from the registry of event types.


def check_vote(ev: EventData, *, rules: Ruleset) -> None:
    """The cell's vote: required for the decisions in `records.vote_required` (unless taken
    over from the old files), and when given, consistent and reaching the rule set's share of
    the cell's full members in favour."""
    counts = {name: getattr(ev, name) for name in VOTE_FIELDS}
    given = [name for name, value in counts.items() if value is not None]
    if ev.type not in VOTE_SHARES:
        if given:
            raise RuleViolation(
                "vote.not_voted",
                _("The cell does not vote on %(event)s: leave the vote out.")
                % {"event": E(ev.type).label},
                field=given[0],
            )
        return
    section, share_rule = VOTE_SHARES[ev.type]
    if not given:
        if ev.taken_over or ev.type not in rules.value(VOTE_RULE):
            return
        raise rules.violation(
            section,
            "vote.missing",
            _(
                "Give the cell's vote on %(event)s: the votes in favour, against, and the "
                "cell's full members."
            )
            % {"event": E(ev.type).label},
            field="votes_for",
        )
    missing = [name for name in VOTE_FIELDS if counts[name] is None]
    if missing:
        raise RuleViolation(
            "vote.incomplete",
            _("Give all three counts of the vote: in favour, against, and full members."),
            field=missing[0],
        )
    in_favour, against, members = (int(counts[name]) for name in VOTE_FIELDS)
    if members < 1 or in_favour < 0 or against < 0:
        raise RuleViolation(
            "vote.invalid",
            _("The counts of a vote are whole numbers, with at least one full member."),
            field="full_members" if members < 1 else "votes_for",
        )
    if in_favour + against > members:
        raise RuleViolation(
            "vote.more_than_members",
            ngettext(
                "%(votes)d votes in favour and against are more than the %(n)d full member given.",
                "%(votes)d votes in favour and against are more than the %(n)d full members given.",
                members,
            )
            % {"votes": in_favour + against, "n": members},
            field="votes_against",
        )
    share = rules.fraction(share_rule)
    if Fraction(in_favour, members) < share:
        raise rules.violation(
            section,
            "vote.below_share",
            ngettext(
                "%(for)d of %(n)d full member voted in favour; %(share)s of them are needed.",
                "%(for)d of %(n)d full members voted in favour; %(share)s of them are needed.",
                members,
            )
            % {"for": in_favour, "n": members, "share": share},
            field="votes_for",
        )


def vote_to_compare(ev: EventData) -> bool:
    """Whether `ev` carries a vote whose full members `check_vote_recorded` compares with the
    records: a vote given on a decision the cell votes on, not taken over from the old files."""
    return not ev.taken_over and ev.type in VOTE_SHARES and ev.full_members is not None


def check_vote_recorded(ev: EventData, recorded: int) -> None:
    """The vote's count of the cell's full members is not below the `recorded` full members
    of the cell on the vote's date (counted by the caller from the records: the fold has no
    database). More is allowed: records taken over may be incomplete. A decision taken over
    from the old files is exempt, like the other vote rules."""
    given = ev.full_members
    if given is None or not vote_to_compare(ev):
        return
    if int(given) < recorded:
        raise RuleViolation(
            "vote.fewer_than_recorded",
            ngettext(
                "The vote counts %(n)d full member, but the cell's records hold %(recorded)s "
                "on %(date)s.",
                "The vote counts %(n)d full members, but the cell's records hold %(recorded)s "
                "on %(date)s.",
                int(given),
            )
            % {
                "n": int(given),
                "recorded": ngettext("%(n)d full member", "%(n)d full members", recorded)
                % {"n": recorded},
                "date": ev.date,
            },
            field="full_members",
        )


def check_temporary_length(ev: EventData, *, rules: Ruleset) -> None:
    """A temporary transfer's planned end (`until`): at least `transfer.temporary_min_months`
    after it starts; before `transfer.temporary_max_months` (under one year in vn-2025), or
    for study up to and including `transfer.temporary_study_max_months`. A transfer taken
    over from the old files may lack the end; one that has it is checked."""
    if ev.until is None:
        if ev.taken_over:
            return
        raise rules.violation(
            "transfer",
            "transfer.temporary_until_missing",
            _("Give the date the temporary transfer ends."),
            field="until",
        )
    low = rules.int("transfer.temporary_min_months")
    if ev.until < add_months(ev.date, low):
        raise rules.violation(
            "transfer",
            "transfer.temporary_too_short",
            _(
                "A temporary transfer lasts at least %(n)d months: from %(date)s it ends on "
                "%(from)s or later."
            )
            % {"n": low, "date": ev.date, "from": add_months(ev.date, low)},
            field="until",
        )
    if ev.for_study:
        high = rules.int("transfer.temporary_study_max_months")
        last = add_months(ev.date, high)
        if ev.until > last:
            raise rules.violation(
                "transfer",
                "transfer.temporary_too_long",
                _(
                    "A temporary transfer for study lasts at most %(n)d months: from %(date)s "
                    "it ends on %(last)s at the latest."
                )
                % {"n": high, "date": ev.date, "last": last},
                field="until",
            )
        return
    high = rules.int("transfer.temporary_max_months")
    limit = add_months(ev.date, high)
    if ev.until >= limit:
        raise rules.violation(
            "transfer",
            "transfer.temporary_too_long",
            _(
                "A temporary transfer lasts less than %(n)d months (for study, longer): from "
                "%(date)s it ends before %(limit)s."
            )
            % {"n": high, "date": ev.date, "limit": limit},
            field="until",
        )
