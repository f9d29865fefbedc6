"""A hand count: the statistics recomputed member by member in Python, from each member's
events replayed through the lifecycle fold, with none of the SQL of the selectors. Tests
compare the selectors (both paths) against it on generated data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cadrebook.core.dates import age_in_years
from cadrebook.core.rules import current_ruleset
from cadrebook.members.lifecycle import State, apply_event, effective_events
from cadrebook.members.models import Member
from cadrebook.members.selectors import event_data
from cadrebook.orgs.models import OrgUnit
from cadrebook.reports import figures

ENDINGS = {"removed", "expelled", "deceased", "not_recognized"}


def _in(unit_path: str | None, subtree: str) -> bool:
    return unit_path is not None and unit_path.startswith(subtree)


def hand_count(
    unit: OrgUnit, date_from: dt.date, date_to: dt.date, as_of: dt.date
) -> dict[str, Any]:
    rules = current_ruleset()
    paths = dict(OrgUnit.objects.values_list("id", "path"))
    brackets = figures.age_brackets(rules)
    members = figures.empty_members(rules)
    moves = figures.empty_movements()
    rows = []
    for m in Member.objects.prefetch_related("events"):
        events = effective_events(event_data(e) for e in m.events.all())
        state = State()
        for ev in events:
            before = state
            state = apply_event(state, ev, rules=rules, birth_date=m.birth_date)
            if not (date_from <= ev.date <= date_to):
                continue
            was = paths.get(before.unit_id) if before.unit_id else None
            now = paths.get(state.unit_id) if state.unit_id else None
            if ev.type in ("admitted", "readmitted", "exempted") and _in(now, unit.path):
                moves[ev.type] += 1
            elif ev.type == "recognized" and _in(was, unit.path):
                moves["recognized"] += 1
            elif ev.type in ENDINGS and before.is_active and _in(was, unit.path):
                moves[ev.type] += 1
            elif ev.type == "transfer_in":
                if _in(now, unit.path) and not _in(was, unit.path):
                    moves["transferred_in"] += 1
                if _in(was, unit.path) and not _in(now, unit.path):
                    moves["transferred_out"] += 1
            elif ev.type == "transfer_out" and ev.to_unit_id is None and _in(was, unit.path):
                moves["transferred_out"] += 1
        for p in state.periods:
            if p.valid_from <= as_of and (p.valid_to is None or p.valid_to > as_of):
                if not _in(paths[p.unit_id], unit.path):
                    continue
                bracket = figures.OTHER
                if m.birth_date:
                    age = age_in_years(m.birth_date, as_of)
                    for b in brackets:
                        if age >= b.low and (b.high is None or age <= b.high):
                            bracket = b.label
                            break
                rows.append(
                    (
                        p.status,
                        p.exempt,
                        m.gender,
                        bracket,
                        m.ethnicity,
                        m.education_level,
                        m.theory_level,
                        bool(m.card_number),
                        1,
                    )
                )
    figures.add_member_rows(members, rows, rules)
    return {"members": figures.tidy_members(members), "movements": moves}
