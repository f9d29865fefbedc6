"""Reads of the cadre pages: a unit's seats by the rule set with their holders on a day (the
empty ones marked), its committee terms, the documents a form may cite, a member's posts
and planning entries as the dossier shows them (the retirement day, derived from the date of
birth, masked without `view_sensitive`), and the audit entries of the pages' reads (a
holding opened, a person's posts read, a worklist read), as the inspections' pages write
theirs. Reads only; the writes are the services'."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from cadrebook.cadres import selectors
from cadrebook.cadres.models import PlanningEntry, PostHolding
from cadrebook.cadres.permissions import MANAGE_CADRES
from cadrebook.cadres.retirement import retirement_date
from cadrebook.cadres.rules import CadreRules, Seats, cadre_rules
from cadrebook.core.audit import audit_record
from cadrebook.core.dates import add_months
from cadrebook.core.permissions import VIEW, VIEW_SENSITIVE
from cadrebook.core.scoping import scope_for
from cadrebook.documents.choices import Status
from cadrebook.documents.models import Document, Term
from cadrebook.documents.selectors import readable_documents
from cadrebook.members.models import Member
from cadrebook.members.selectors import mask
from cadrebook.orgs.models import OrgUnit

DOCUMENT_CHOICES = 100  # the unit's latest issued documents a form offers

HOLDING_VIEWED = "post.viewed"
HISTORY_VIEWED = "post.history_viewed"
LIST_VIEWED = "cadres.list_viewed"


def has_posts(unit: OrgUnit, rules: CadreRules | None = None) -> bool:
    """Whether the rule set gives units of `unit`'s kind any committee post."""
    r = rules or cadre_rules()
    return any(unit.kind in s.unit_kinds for s in r.seats)


def manages_any(user: Any) -> bool:
    """Whether `user` may record cadre work somewhere (`manage_cadres`)."""
    scope = scope_for(user, MANAGE_CADRES)
    return scope.everything or bool(scope.paths)


def unit_documents(user: Any, unit: OrgUnit) -> list[Document]:
    """The issued documents of `unit` that `user` may read, newest first: those a decision
    on its posts may cite."""
    return list(
        readable_documents(user)
        .filter(issuer=unit)
        .exclude(status=Status.DRAFT)
        .order_by("-date", "-id")[:DOCUMENT_CHOICES]
    )


def committee_terms(user: Any, unit: OrgUnit) -> QuerySet[Term]:
    """The committee terms of `unit` (not its congresses) `user` may `view`, newest first."""
    return Term.objects.visible_to(user, VIEW).filter(unit=unit, congress=False).order_by("-start")


def running_terms(user: Any, unit: OrgUnit) -> list[Term]:
    return list(committee_terms(user, unit).filter(end__isnull=True))


def term_planned_end(term: Term, rules: CadreRules | None = None) -> dt.date:
    """The day a committee term is due to end: its end when closed, else its start plus the
    rule set's `[organization] term_years`."""
    r = rules or cadre_rules()
    return term.end or add_months(term.start, r.term_years * 12)


@dataclass(frozen=True)
class SeatRow:
    """One seat rule of a unit on a day: its positions (labels), at most how many holders
    (None: no limit), from how many full members (None: no minimum; `available` False when
    the unit has fewer), the holdings of its positions that day, and the empty seats
    (`empty`: None where the rule sets no number)."""

    seats: Seats
    labels: tuple[str, ...]
    holdings: tuple[PostHolding, ...]
    available: bool
    full_members: int | None
    empty: int | None

    @property
    def designated(self) -> bool:
        """A seat of one position with a number (a secretary): empty seats of it are work
        to do; a rule of several positions bounds a committee's size, it asks no number."""
        return len(self.seats.positions) == 1 and self.seats.max is not None


def seat_rows(user: Any, unit: OrgUnit, day: dt.date) -> list[SeatRow]:
    """The seat rules of `unit`'s kind (`[cadres] seats`, in the rule set's order) with the
    holders of their positions on `day` as `user` may `view` them."""
    rules = cadre_rules()
    order = {p.code: i for i, p in enumerate(rules.positions)}
    held = list(selectors.holders_on(user, unit, day))
    full: int | None = None
    rows = []
    for s in rules.seats:
        if unit.kind not in s.unit_kinds:
            continue
        positions = sorted(s.positions, key=lambda p: order.get(p, len(order)))
        holdings = tuple(
            sorted(
                (h for h in held if h.position in s.positions),
                key=lambda h: (order.get(h.position, len(order)), h.started_on, h.pk),
            )
        )
        available = True
        if s.min_full_members is not None:
            if full is None:
                full = selectors.full_members_on(unit, day)
            available = full >= s.min_full_members
        empty = None
        if s.max is not None and available:
            empty = max(s.max - len(holdings), 0)
        rows.append(
            SeatRow(
                s,
                tuple(rules.position_label(p) for p in positions),
                holdings,
                available,
                full if s.min_full_members is not None else None,
                empty,
            )
        )
    return rows


def empty_designated(rows: Iterable[SeatRow]) -> int:
    return sum(r.empty or 0 for r in rows if r.designated)


# -- The member's posts (the dossier's panel, the person's page) --------------------------


def retires_on(user: Any, member: Member) -> Any:
    """The member's retirement day by the rule set's schedule, masked without
    `view_sensitive` on the member's unit (it tells the date of birth); None without a date
    of birth."""
    if not scope_for(user, VIEW_SENSITIVE).covers_path(member.unit.path):
        return mask(member.birth_date)
    if member.birth_date is None:
        return None
    return retirement_date(member.birth_date, member.gender, cadre_rules().retirement)


def member_planning(user: Any, member: Member) -> QuerySet[PlanningEntry]:
    """The member's planning entries, those removed too, newest first, of the units `user`
    may `view`."""
    return (
        PlanningEntry.objects.visible_to(user, VIEW)
        .filter(member=member)
        .select_related("unit", "term", "removal")
        .order_by("-added_on", "-id")
    )


def holding_rows(holdings: Iterable[PostHolding], day: dt.date) -> list[dict[str, Any]]:
    """Holdings as the pages list them: the position's label, whether it runs on `day`, its
    end (None while it runs)."""
    rules = cadre_rules()
    out = []
    for h in holdings:
        end = getattr(h, "end", None) if _has_end(h) else None
        out.append(
            {
                "holding": h,
                "position": rules.position_label(h.position),
                "end": end,
                # A holding voided as recorded in error never ran.
                "running": not hasattr(h, "correction")
                and h.started_on <= day
                and (end is None or end.ended_on >= day),
            }
        )
    return out


def _has_end(h: PostHolding) -> bool:
    try:
        h.end  # noqa: B018  (a reverse one-to-one: missing raises)
    except PostHolding.end.RelatedObjectDoesNotExist:
        return False
    return True


def planning_rows(entries: Iterable[PlanningEntry]) -> list[dict[str, Any]]:
    rules = cadre_rules()
    out = []
    for e in entries:
        removal = getattr(e, "removal", None) if _removed(e) else None
        out.append({"entry": e, "position": rules.position_label(e.position), "removal": removal})
    return out


def _removed(e: PlanningEntry) -> bool:
    try:
        e.removal  # noqa: B018
    except PlanningEntry.removal.RelatedObjectDoesNotExist:
        return False
    return True


# -- Audit of the reads --------------------------------------------------------------------


def holding_read_record(*, actor: Any, holding: PostHolding) -> None:
    """A holding's page was read (the holder, the decision, its end)."""
    audit_record(
        actor=actor,
        obj=holding,
        action="view",
        event_type=HOLDING_VIEWED,
        unit=holding.unit,
        after={"via": "page", "member": holding.member_id},
    )


def history_read_record(*, actor: Any, member: Member) -> None:
    """A person's posts and planning entries were read (the person's page)."""
    audit_record(
        actor=actor,
        obj=member,
        action="view",
        event_type=HISTORY_VIEWED,
        unit=member.unit,
        after={"via": "page"},
    )


def list_read_record(
    *,
    actor: Any,
    name: str,
    filters: dict[str, Any],
    counts: dict[str, int],
    members: Iterable[int] = (),
    unit: OrgUnit | None = None,
) -> None:
    """A list of cadre work was read (`name`: `worklists`, `posts`): one entry per request,
    with its filters, the rows shown per list (`counts`), and the members whose personal
    data it showed unmasked (`members`: the retirement days). It stands on `unit` when the
    list is a unit's (its posts), else on the top unit of the reader's `manage_cadres` scope
    (the widest the worklists show), as the inspections' list reads stand on theirs; a
    reader without one was shown nothing."""
    if unit is None:
        unit = OrgUnit.objects.visible_to(actor, MANAGE_CADRES).order_by("depth", "path").first()
    if unit is None:
        return
    shown = sorted(set(members))
    audit_record(
        actor=actor,
        obj=unit,
        action="view",
        event_type=LIST_VIEWED,
        unit=unit,
        after={
            "via": "page",
            "list": name,
            "filters": {k: str(v) for k, v in filters.items() if v not in (None, "")},
            "rows": sum(counts.values()),
            "counts": counts,
        }
        | ({"members": shown} if shown else {}),
    )
