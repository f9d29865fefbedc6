"""Demo cadre work: committee terms of the province and its communes from 1 January of last
year, their secretaries, deputies and committee members elected, an inspection chair of each
commune appointed, a planning list for the secretary's and the deputy's posts, and one
confidence vote of the province's committee; all through the services, as the organizer.

Candidates are drawn from the full members of each unit's subtree (seeded); one a service
refuses (not yet a full member on the day, too close to retirement, holding a post the rules
forbid beside it) is skipped for the next, so the demo stays consistent with the rules."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from cadrebook.cadres.services import (
    committee_term_open,
    confidence_session_record,
    planning_add,
    post_appoint,
    post_elect,
)
from cadrebook.core.errors import ServiceError
from cadrebook.core.scoping import PATH_END
from cadrebook.members.choices import MemberStatus
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

# Posts elected at each committee: position -> how many.
ELECTED = (("secretary", 1), ("deputy_secretary", 2), ("committee_member", 4))
PLANNED = (("secretary", 2), ("deputy_secretary", 2))
CANDIDATES = 80  # full members drawn per unit: enough for the refusals
POOL = 1000  # drawn from the unit's first full members (a national root holds millions)


def _candidates(rng: random.Random, unit: OrgUnit) -> list[Member]:
    rows = list(
        Member.objects.filter(
            unit__path__gte=unit.path,
            unit__path__lt=unit.path + PATH_END,
            status=MemberStatus.FULL,
        )
        .order_by("id")
        .values_list("id", flat=True)[:POOL]
    )
    chosen = rng.sample(rows, min(CANDIDATES, len(rows)))
    by_id = Member.objects.in_bulk(chosen)
    return [by_id[i] for i in chosen]


def _first(candidates: list[Member], service: Callable[..., Any], **values: Any) -> Any:
    """The first candidate `service(member=..., **values)` records (taken off the list), or
    None when it refuses them all."""
    for i, member in enumerate(candidates):
        try:
            done = service(member=member, **values)
        except ServiceError:
            continue
        del candidates[i]
        return done
    return None


def demo_cadres(*, actor: Any, root: OrgUnit, today: dt.date, seed: int = 1) -> int:
    """Record the demo's cadre work under `root` (see the module's docstring) as `actor` (who
    may manage cadres there). Returns how many posts were recorded."""
    rng = random.Random(f"cadrebook-demo-cadres:{seed}")
    start = dt.date(today.year - 1, 1, 1)
    below = {"path__gt": root.path, "path__lt": root.path + PATH_END, "depth": root.depth + 1}
    units = [root, *OrgUnit.objects.filter(**below).order_by("path")]
    posts = 0
    province_holders: list[dict[str, Any]] = []
    for unit in units:
        term = committee_term_open(actor=actor, unit=unit, start=start)
        candidates = _candidates(rng, unit)
        day = start + dt.timedelta(days=rng.randint(2, 20))
        for position, count in ELECTED:
            for _ in range(count):
                total = rng.randint(15, 45)
                held = _first(
                    candidates,
                    post_elect,
                    actor=actor,
                    unit=unit,
                    position=position,
                    term=term,
                    started_on=day,
                    votes_for=rng.randint(total // 2 + 1, total),
                    votes_total=total,
                    document_text="Biên bản bầu cử đại hội",
                )
                if held is not None:
                    posts += 1
                    if unit == root:
                        province_holders.append({"member": held.member, "position": position})
        if unit != root:
            chair = _first(
                candidates,
                post_appoint,
                actor=actor,
                unit=unit,
                position="inspection_chair",
                started_on=day + dt.timedelta(days=30),
                document_text="Quyết định chỉ định",
                outside_planning_text="Quyết định của cấp có thẩm quyền",
            )
            posts += chair is not None
        added = day + dt.timedelta(days=rng.randint(60, 120))
        for position, count in PLANNED:
            for _ in range(count):
                _first(
                    candidates,
                    planning_add,
                    actor=actor,
                    unit=unit,
                    term=term,
                    position=position,
                    added_on=added,
                    document_text="Nghị quyết phê duyệt quy hoạch",
                )
    if province_holders:
        present = 25
        results = []
        for holder in province_holders:
            low = rng.choice((0, 1, 2, 3, 14))
            high = rng.randint(0, present - low)
            results.append({**holder, "high": high, "confidence": present - low - high, "low": low})
        confidence_session_record(
            actor=actor,
            unit=root,
            held_on=dt.date(today.year - 1, 11, 20),
            summoned=30,
            present=present,
            results=results,
            document_text="Biên bản lấy phiếu tín nhiệm",
        )
    return posts
