"""Reads on members: as-of status, as-of membership of a subtree, party age, name search,
the due lists of a unit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from cadrebook.core.dates import add_months
from cadrebook.core.normalize import normalize_name, search_text
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import PATH_END, subtree_q
from cadrebook.members.choices import ACTIVE_STATUSES, EventType, MemberStatus
from cadrebook.members.lifecycle import party_age_days
from cadrebook.members.models import Member, MemberPeriod
from cadrebook.members.services import member_state
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import depth_on


def periods_as_of(day: dt.date) -> QuerySet[MemberPeriod]:
    """Periods in force on `day`: valid_from <= D < coalesce(valid_to, infinity)."""
    return MemberPeriod.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day), valid_from__lte=day
    )


def member_status_as_of(member: Member, day: dt.date) -> MemberPeriod | None:
    """The member's period on `day` (unit, status, exempt), or None when not a member then."""
    return periods_as_of(day).filter(member=member).select_related("unit").first()


def members_as_of(unit: OrgUnit, day: dt.date) -> QuerySet[Member]:
    """Members of `unit`'s subtree on `day`, through the ancestor column of its depth on
    that day (a unit moved up or down the tree stood at another depth before)."""
    column = f"anc{depth_on(unit, day)}_id"
    ids = periods_as_of(day).filter(**{column: unit.pk}).values("member_id")
    return Member.objects.filter(pk__in=ids)


def party_age(member: Member, on: dt.date) -> tuple[int, int]:
    """Party age on `on` as (years, months), from admission, interruptions subtracted."""
    days = party_age_days(member_state(member), on)
    months = int(days / 30.4375)
    return months // 12, months % 12


def search_members(queryset: QuerySet[Member], text: str) -> QuerySet[Member]:
    """Accent-insensitive name search; exact-diacritic matches rank first.

    Filters `__contains` on the normalized lower-case column (a trigram index on PostgreSQL).
    A query of digits also matches the national ID and card number.
    """
    text = search_text(text)
    if not text:
        return queryset
    norm = normalize_name(text)
    q = Q(name_norm__contains=norm)
    if any(ch.isdigit() for ch in text):
        q |= Q(national_id=text) | Q(card_number=text)
    return (
        queryset.filter(q)
        .annotate(
            exact_rank=Case(
                When(full_name__contains=text, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("exact_rank", "name_norm", "id")
    )


def unit_member_counts(units: list[OrgUnit]) -> dict[int, int]:
    """Active members (probationary + full) in each unit's subtree, one query per depth."""
    counts: dict[int, int] = {}
    by_depth: dict[int, list[int]] = {}
    for u in units:
        by_depth.setdefault(u.depth, []).append(u.pk)
    for depth, ids in by_depth.items():
        col = f"anc{depth}_id"
        rows = (
            MemberPeriod.objects.filter(valid_to__isnull=True, **{f"{col}__in": ids})
            .values(col)
            .annotate(n=Count("id"))
        )
        for row in rows:
            counts[row[col]] = row["n"]
    return counts


def full_member_counts(unit_ids: list[int]) -> dict[int, int]:
    rows = (
        MemberPeriod.objects.filter(valid_to__isnull=True, status="full", unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(n=Count("id"))
    )
    return {r["unit_id"]: r["n"] for r in rows}


def unit_members(unit: OrgUnit, *, status: str = "", text: str = "") -> QuerySet[Member]:
    """Members whose current unit lies in `unit`'s subtree, filtered by status and name."""
    qs = Member.objects.filter(subtree_q("unit__path", [unit.path])).select_related("unit")
    if status == "active":
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if text:
        return search_members(qs, text)
    return qs.order_by("name_norm", "id")


def mask(value: Any) -> str:
    """How a sensitive value shows to a role that may not read it."""
    if value in (None, ""):
        return ""
    return "••••"


DUE_DAYS = 30  # how far ahead the due lists look
DUE_LIMIT = 50  # items shown per list; the count says how many there are


@dataclass
class DueList:
    """One list of things waiting for a decision: the first items and how many there are."""

    items: list[Any]
    count: int


def due_lists(unit: OrgUnit, today: dt.date) -> dict[str, DueList]:
    """What waits for a decision in `unit`'s subtree: probationary members whose probation
    ends within DUE_DAYS or has ended (due for recognition), transfers to its units waiting
    for acceptance, cells below the minimum of full members, full members without a card."""
    rules = current_ruleset()
    months = rules.int("probation.months")
    within = subtree_q("unit__path", [unit.path])
    members = Member.objects.filter(within).select_related("unit")
    horizon = add_months(today + dt.timedelta(days=DUE_DAYS), -months)
    probation = members.filter(status=MemberStatus.PROBATIONARY, admitted_on__lte=horizon)
    recognition = []
    for m in probation.order_by("admitted_on", "pk")[:DUE_LIMIT]:
        due = add_months(m.admitted_on or today, months)
        recognition.append({"member": m, "due": due, "overdue": due < today})
    incoming = Member.objects.filter(subtree_q("pending_transfer_to__path", [unit.path]))
    limit = rules.int("transfer.present_working_days")
    transfers = []
    for m in incoming.select_related("unit", "pending_transfer_to").order_by("pk")[:DUE_LIMIT]:
        issued = (
            m.events.filter(type=EventType.TRANSFER_OUT)
            .order_by("-date", "-id")
            .values_list("date", flat=True)
            .first()
        )
        deadline = rules.add_working_days(issued, limit) if issued else None
        transfers.append(
            {"member": m, "deadline": deadline, "overdue": bool(deadline and deadline < today)}
        )
    holding = OrgUnit.objects.filter(
        path__gte=unit.path,
        path__lt=unit.path + PATH_END,
        kind__in=rules.member_holding_kinds(),
        dissolved_on__isnull=True,
    ).order_by("path")
    cells = list(holding[:5000])
    fulls = full_member_counts([c.pk for c in cells])
    minimum = rules.int("organization.cell_min_full_members")
    weak = [{"unit": c, "full": fulls.get(c.pk, 0)} for c in cells if fulls.get(c.pk, 0) < minimum]
    no_card = members.filter(status=MemberStatus.FULL).filter(
        Q(card_number__isnull=True) | Q(card_number="")
    )
    return {
        "recognition": DueList(recognition, probation.count()),
        "transfers": DueList(transfers, incoming.count()),
        "cells": DueList(weak[:DUE_LIMIT], len(weak)),
        "cards": DueList(list(no_card.order_by("name_norm", "pk")[:DUE_LIMIT]), no_card.count()),
    }
