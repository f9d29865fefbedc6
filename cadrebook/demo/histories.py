"""The members' lives: each one's events over the years, checked by the fold, made into rows.

Competing exponential clocks with yearly rates decide what happens next to an active member.
Every history is folded under the rule set in force (`cadrebook.members.lifecycle.fold`, the
check the services make), and the member's cached fields and periods are derived from the
fold. Members are made in chunks, each from its own seeded generator and from plain data
(`_Context`), so a chunk can be made in a worker process.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from cadrebook.core.dates import add_months, age_in_months
from cadrebook.core.normalize import normalize_name
from cadrebook.core.rules import Ruleset
from cadrebook.demo.people import (
    _EDU,
    _EDU_CUM,
    _ETHNIC,
    _ETHNIC_CUM,
    _THEORY,
    _THEORY_CUM,
    CARD_MULTIPLIER,
    FORCED_NAMES,
    HOMETOWNS,
    ID_MULTIPLIER,
    ID_PROVINCES,
    OCCUPATIONS,
    SHARE_NO_CARD,
    SHARE_NO_NATIONAL_ID,
    SHARE_WOMEN,
    _admission_age_months,
    _ch,
    _days,
    _person_name,
    _pick,
    _ri,
)
from cadrebook.demo.tree import _Tree
from cadrebook.members.choices import EventType as E
from cadrebook.members.choices import MemberStatus as S
from cadrebook.members.lifecycle import EventData, fold
from cadrebook.members.models import ANCESTOR_COLUMNS

# fmt: off
# Where members who leave the province go.
DESTINATIONS = ["Đảng bộ tỉnh Lâm Đồng", "Đảng bộ thành phố Hà Nội", "Đảng bộ Quân khu 7",
                "Đảng bộ Khối Doanh nghiệp Trung ương", "Đảng bộ thành phố Hồ Chí Minh",
                "Đảng bộ tỉnh Nghệ An"]

# Yearly rates of what happens to an active member (competing exponential clocks).
RATE_TRANSFER = 0.05
RATE_LEAVE = 0.008
RATE_REMOVE = 0.006
RATE_EXPEL = 0.001
RATE_TEMPORARY = 0.01
RATE_EXEMPT_HEALTH = 0.003
RATE_EXEMPT_ELDERLY = 0.35  # from EXEMPT_ELDERLY_AGE on
EXEMPT_ELDERLY_AGE = 66
RATE_EXEMPTION_END = 0.15  # for the ill, below the elderly age
SHARE_NEVER_ADMITTED = 0.04
SHARE_NOT_RECOGNIZED = 0.02
SHARE_READMITTED = 0.3
# fmt: on


@dataclass
class _Context:
    """Everything a chunk of members is made from; plain data, so it could go to a worker."""

    seed: int
    tree: _Tree
    rules: Ruleset
    today: dt.date
    start: dt.date
    now: dt.datetime
    member_id_base: int
    probation_months: int
    readmit_gap: int
    readmit_max: int
    min_age: int
    max_age: int
    cards: bool


def _other_unit(rng: random.Random, tree: _Tree, current_index: int) -> int:
    """Index of a member unit other than `current_index`, mostly in the same commune."""
    local = tree.by_commune[tree.commune_of[current_index]]
    if len(local) > 1 and rng.random() < 0.7:
        choice = _ch(rng, local)
        while choice == current_index:
            choice = _ch(rng, local)
        return choice
    choice = current_index
    while choice == current_index and len(tree.member_units) > 1:
        choice = bisect.bisect(tree.cum_weights, rng.random() * tree.cum_weights[-1])
    return choice


def _doc(rng: random.Random) -> str:
    return f"{_ri(rng, 1, 400)}-QĐ/ĐU"


def _history(
    rng: random.Random,
    ctx: _Context,
    home: int,
    birth: dt.date,
    registered: dt.date,
    admit_on: dt.date,
    calm: bool,
) -> list[tuple[Any, ...]]:
    """The events of one life as (type, date, unit index, to unit index, destination,
    document, reason); indexes point into `tree.member_units`.

    Competing exponential clocks with yearly rates decide what happens next to an active
    member; the probation review is a fixed appointment among them. `calm` lives are admitted,
    recognized and left alone (the named members the demo and the tests rely on).
    """
    today = ctx.today
    tree = ctx.tree
    events: list[tuple[Any, ...]] = [(E.REGISTERED, registered, home, None, "", "", "")]
    if admit_on > today or (not calm and rng.random() < SHARE_NEVER_ADMITTED):
        return events
    events.append((E.ADMITTED, admit_on, home, None, "", _doc(rng), ""))
    unit = home
    probationary = True
    fails = not calm and rng.random() < SHARE_NOT_RECOGNIZED
    review_on = add_months(admit_on, ctx.probation_months) + _days(rng, 0, 45)
    exempt = False
    readmissions = 0
    t = admit_on
    one_year = dt.timedelta(days=365)
    while True:
        age = (t - birth).days / 365.25
        if calm:
            rates = [0.0] * 7
        else:
            death = 0.001 * math.exp(0.08 * (age - 30)) * (2 if exempt else 1)
            if exempt:
                exempt_change = RATE_EXEMPTION_END if age < EXEMPT_ELDERLY_AGE - 6 else 0.0
            else:
                exempt_change = (
                    RATE_EXEMPT_ELDERLY if age >= EXEMPT_ELDERLY_AGE else RATE_EXEMPT_HEALTH
                )
            rates = [
                death,
                RATE_TRANSFER * (0.2 if exempt else 1),
                0.0 if exempt else RATE_LEAVE,
                RATE_REMOVE,
                0.0 if probationary else RATE_EXPEL,  # discipline forms: no expulsion on probation
                0.0 if (exempt or probationary) else RATE_TEMPORARY,
                exempt_change,
            ]
        total = sum(rates)
        wait = rng.expovariate(total) * 365.25 if total else math.inf
        if probationary and t + dt.timedelta(days=min(wait, 40000)) >= review_on:
            if review_on > today:
                break
            t = max(t, review_on)  # never before an event already made (a late arrival)
            if fails:
                events.append((E.NOT_RECOGNIZED, t, None, None, "", _doc(rng), "probation_failed"))
                readmit = _readmission(rng, ctx, birth, t, readmissions, unit)
                if readmit is None:
                    break
                t, unit = readmit
                events.append((E.READMITTED, t, unit, None, "", _doc(rng), ""))
                readmissions += 1
                exempt = False
                fails = rng.random() < SHARE_NOT_RECOGNIZED
                review_on = add_months(t, ctx.probation_months) + _days(rng, 0, 45)
                continue
            events.append((E.RECOGNIZED, t, None, None, "", _doc(rng), ""))
            probationary = False
            continue
        if wait > 365:
            t += one_year
            if t > today:
                break
            continue
        t += dt.timedelta(days=max(1, int(wait)))
        if t > today:
            break
        kind = bisect.bisect(list(itertools.accumulate(rates)), rng.random() * total)
        if kind == 0:
            events.append((E.DECEASED, t, None, None, "", "", ""))
            break
        if kind == 1:
            to = _other_unit(rng, tree, unit)
            if to == unit:
                continue
            reason = _ch(rng, ["work", "residence"])
            events.append((E.TRANSFER_OUT, t, None, to, "", f"{_ri(rng, 1, 900)}-GGT/ĐU", reason))
            arrive = t + _days(rng, 0, 30) if rng.random() < 0.7 else t
            if arrive > today:
                break  # still pending today
            events.append((E.TRANSFER_IN, arrive, to, None, "", "", ""))
            unit = to
            t = arrive
        elif kind == 2:
            events.append(
                (
                    E.TRANSFER_OUT,
                    t,
                    None,
                    None,
                    _ch(rng, DESTINATIONS),
                    f"{_ri(rng, 1, 900)}-GGT/ĐU",
                    "work",
                )
            )
            break
        elif kind in (3, 4):
            if kind == 4:
                events.append((E.EXPELLED, t, None, None, "", _doc(rng), "discipline"))
                break
            reason = _ch(rng, ["absence", "fees_unpaid", "no_progress"])
            events.append((E.REMOVED, t, None, None, "", _doc(rng), reason))
            readmit = _readmission(rng, ctx, birth, t, readmissions, unit)
            if readmit is None:
                break
            t, unit = readmit
            events.append((E.READMITTED, t, unit, None, "", _doc(rng), ""))
            readmissions += 1
            probationary = True
            exempt = False
            fails = rng.random() < SHARE_NOT_RECOGNIZED
            review_on = add_months(t, ctx.probation_months) + _days(rng, 0, 45)
        elif kind == 5:
            host = _other_unit(rng, tree, unit)
            if host == unit:
                continue
            events.append(
                (
                    E.TEMPORARY_TRANSFER,
                    t,
                    None,
                    host,
                    "",
                    "",
                    "study" if rng.random() < 0.3 else "work",
                )
            )
            back = add_months(t, _ri(rng, 3, 11))
            if back > today:
                break  # still away today
            events.append((E.TEMPORARY_TRANSFER_ENDED, back, None, None, "", "", ""))
            t = back
        elif kind == 6:
            if exempt:
                events.append((E.EXEMPTION_ENDED, t, None, None, "", "", ""))
                exempt = False
            else:
                events.append(
                    (
                        E.EXEMPTED,
                        t,
                        None,
                        None,
                        "",
                        "",
                        "age" if age >= EXEMPT_ELDERLY_AGE else "health",
                    )
                )
                exempt = True
    return events


def _readmission(
    rng: random.Random, ctx: _Context, birth: dt.date, left: dt.date, done: int, unit: int
) -> tuple[dt.date, int] | None:
    """A readmission date (at least the rule set's gap after leaving) and cell, or None."""
    if done >= ctx.readmit_max or rng.random() >= SHARE_READMITTED:
        return None
    day = add_months(left, ctx.readmit_gap) + _days(rng, 1, 900)
    if day > ctx.today or not ctx.min_age <= age_in_months(birth, day) <= ctx.max_age:
        return None
    if rng.random() < 0.3:
        unit = _other_unit(rng, ctx.tree, unit)
    return day, unit


# A chunk of members ---------------------------------------------------------------------------
# Normalized names by name: there are only some tens of thousands of distinct names.
_NORM_CACHE: dict[str, str] = {}


def _chunk_rng(seed: int, chunk_no: int) -> random.Random:
    return random.Random(f"cadrebook-synthetic:{seed}:members:{chunk_no}")


def _make_chunk(
    ctx: _Context, chunk_no: int, first: int, count: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], Counter[str]]:
    """Members `first` .. `first + count - 1` (global indexes): member, event and period rows."""
    rng = _chunk_rng(ctx.seed, chunk_no)
    tree = ctx.tree
    unit_ids = tree.member_units
    holding = tree.holding
    span = (ctx.today - ctx.start).days
    rules = ctx.rules
    norm_cache = _NORM_CACHE
    members: list[tuple[Any, ...]] = []
    events_out: list[tuple[Any, ...]] = []
    periods_out: list[tuple[Any, ...]] = []
    statuses: Counter[str] = Counter()
    pad = (None,) * ANCESTOR_COLUMNS

    def check_unit(unit_id: int, day: dt.date, field_name: str) -> None:
        if unit_id not in holding:  # pragma: no cover - a generator bug
            raise AssertionError(f"unit {unit_id} holds no members")

    for i in range(first, first + count):
        forced = i < len(FORCED_NAMES)
        female = not forced and rng.random() < SHARE_WOMEN
        ethnicity = "Kinh" if forced else _pick(rng, _ETHNIC, _ETHNIC_CUM)
        name = FORCED_NAMES[i] if forced else _person_name(rng, female, ethnicity)
        home = bisect.bisect(tree.cum_weights, rng.random() * tree.cum_weights[-1])
        if forced:
            registered = ctx.start + _days(rng, 0, 60)
            admit_on = registered + _days(rng, 120, 200)
        else:
            registered = ctx.start + _days(rng, 0, span)
            admit_on = registered + _days(rng, 90, 360)
        months = _admission_age_months(rng, ctx.min_age, ctx.max_age)
        birth = add_months(admit_on, -months) - _days(rng, 0, 20)
        history = _history(rng, ctx, home, birth, registered, admit_on, calm=forced)

        data = [
            EventData(
                type=ev[0],
                date=ev[1],
                unit_id=unit_ids[ev[2]] if ev[2] is not None else None,
                to_unit_id=unit_ids[ev[3]] if ev[3] is not None else None,
                destination=ev[4],
                id=n,
            )
            for n, ev in enumerate(history, start=1)
        ]
        state = fold(data, rules=rules, birth_date=birth, check_unit=check_unit)
        member_id = ctx.member_id_base + i
        status = str(state.status or S.APPLICANT)
        statuses[status] += 1

        g = member_id - 1  # a global index: unique numbers across runs on one database
        national_id = None
        if rng.random() >= SHARE_NO_NATIONAL_ID:
            h = (g * ID_MULTIPLIER + 1_234_567) % 10_000_000  # a bijection of 0 .. 10**7 - 1
            century_sex = (0 if birth.year < 2000 else 2) + (1 if female else 0)
            national_id = f"{ID_PROVINCES[h % 10]}{century_sex}{birth.year % 100:02d}{h // 10:06d}"
        card = None
        if ctx.cards and status == S.FULL and (forced or rng.random() >= SHARE_NO_CARD):
            h = (g * CARD_MULTIPLIER + 4_321_987) % 99_000_000  # a bijection of 0 .. 99e6 - 1
            card = f"{1 + h // 1_000_000:02d}.{h % 1_000_000:06d}"
        norm = norm_cache.get(name)
        if norm is None:
            norm = norm_cache[name] = normalize_name(name)
        commune = tree.commune_of[home]
        members.append(
            (
                member_id,
                name,
                norm,
                "female" if female else "male",
                birth,
                ethnicity,
                national_id,
                _ch(rng, HOMETOWNS),
                _pick(rng, _EDU, _EDU_CUM),
                _pick(rng, _THEORY, _THEORY_CUM),
                "Hưu trí" if (ctx.today - birth).days > 62 * 365 else _ch(rng, OCCUPATIONS),
                f"0{_ch(rng, '9873')}{_ri(rng, 0, 99_999_999):08d}",
                f"Thôn {_ri(rng, 1, 12)}, {tree.levels[commune]} {tree.places[commune]}",
                card,
                None,
                status,
                state.unit_id,
                state.exempt,
                state.admitted_on,
                state.recognized_on,
                state.probation_since,
                state.temp_until,
                state.pending_to,
                1,
                ctx.now,
            )
        )
        for ev, d in zip(history, data, strict=True):
            events_out.append(
                (
                    member_id,
                    str(d.type),
                    d.date,
                    d.unit_id,
                    d.to_unit_id,
                    ev[4],
                    ev[5],
                    ev[6],
                    None,
                    False,
                    ctx.now,
                    None,
                    # taken_over: the generated years of history stand for records kept
                    # before Cadrebook (no votes, no ends of temporary transfers on file).
                    True,
                )
            )
        for p in state.periods:
            anc = tree.ancestors[p.unit_id]
            periods_out.append(
                (
                    member_id,
                    p.unit_id,
                    str(p.status),
                    p.exempt,
                    p.valid_from,
                    p.valid_to,
                    *anc,
                    *pad[len(anc) :],
                )
            )
    return members, events_out, periods_out, statuses
