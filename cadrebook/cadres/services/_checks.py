"""Checks the cadre services share, each refusing with the rule's source: the actor's scope,
the post (a position of the rule set on a unit kind that has it), the member (a member on
the day, in the unit's subtree, a full member where the position requires it, not barred by
a discipline), the seats (how many, from how many full members), the working life a first
or higher appointment needs, the election's share, the cited document, a day not in the
future."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.cadres import selectors
from cadrebook.cadres.models import PostHolding
from cadrebook.cadres.permissions import MANAGE_CADRES
from cadrebook.cadres.retirement import months_left, retirement_date
from cadrebook.cadres.rules import CadreRules, Position
from cadrebook.core.errors import ServiceError
from cadrebook.core.restrictions import APPOINTMENT, check_unrestricted
from cadrebook.core.scoping import scope_for
from cadrebook.documents.references import cited_document
from cadrebook.members.choices import MemberStatus
from cadrebook.members.models import Member
from cadrebook.members.selectors import member_status_as_of
from cadrebook.orgs.models import OrgUnit


def by(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def check_scope(actor: Any, unit: OrgUnit) -> None:
    """The post's unit stands within what the actor may `manage_cadres` on."""
    if not scope_for(actor, MANAGE_CADRES).covers_path(unit.path):
        raise ServiceError(
            "cadres.outside_scope",
            _("You may not record the posts of %(unit)s: it is outside your scope.")
            % {"unit": unit},
            field="unit",
        )


def check_not_future(day: dt.date, field: str) -> None:
    """What is recorded has happened: an election, an appointment, a post's end, a vote, a
    decision on a day after today is refused (a rotation's planned stint is a plan, not
    this)."""
    if day > timezone.localdate():
        raise ServiceError(
            "date.in_future",
            _("%(date)s is in the future: record what has happened.") % {"date": day},
            field=field,
        )


def check_unit_active(unit: OrgUnit, day: dt.date) -> None:
    started = unit.founded_on is None or unit.founded_on <= day
    if not started or (unit.dissolved_on is not None and unit.dissolved_on <= day):
        raise ServiceError(
            "unit.not_active",
            _("%(unit)s is not active on %(date)s.") % {"unit": unit, "date": day},
            field="unit",
        )


def check_post(rules: CadreRules, position: str, unit: OrgUnit) -> Position:
    """A position of the rule set, on a unit whose kind has it."""
    found = rules.position(position)
    if found is None:
        raise rules.violation(
            "cadres.position_unknown",
            _("%(position)s is not a position of the rule set; known: %(known)s.")
            % {"position": position, "known": ", ".join(p.code for p in rules.positions)},
            field="position",
        )
    if not rules.seats_for(position, unit.kind):
        raise rules.violation(
            "cadres.no_such_post",
            _("%(unit)s has no post of %(position)s.")
            % {"unit": unit, "position": found.display_label},
            field="position",
        )
    return found


def check_membership(
    rules: CadreRules, position: Position, member: Member, unit: OrgUnit, day: dt.date
) -> None:
    """A member on `day` of `unit`'s subtree, full where the position requires it (a post's
    holder and a person planned for it alike)."""
    period = member_status_as_of(member, day)
    if period is None or period.status not in (MemberStatus.PROBATIONARY, MemberStatus.FULL):
        raise ServiceError(
            "cadres.not_a_member",
            _("%(name)s is not a member on %(date)s.") % {"name": member.full_name, "date": day},
            field="member",
        )
    if not period.unit.path.startswith(unit.path):
        raise ServiceError(
            "cadres.outside_unit",
            _(
                "%(name)s is a member of %(other)s on %(date)s, not of %(unit)s or the "
                "organizations below it."
            )
            % {"name": member.full_name, "other": period.unit, "date": day, "unit": unit},
            field="member",
        )
    if position.requires_full_member and period.status != MemberStatus.FULL:
        raise rules.violation(
            "cadres.full_member_required",
            _("%(position)s is held by a full member; %(name)s is probationary on %(date)s.")
            % {"position": position.display_label, "name": member.full_name, "date": day},
            source=position.source,
            field="member",
        )


def check_member(
    rules: CadreRules, position: Position, member: Member, unit: OrgUnit, day: dt.date
) -> None:
    """A member on `day` of `unit`'s subtree, full where the position requires it, holding
    no other post of the unit, and under no discipline that bars an appointment."""
    check_membership(rules, position, member, unit, day)
    other = PostHolding.objects.filter(member=member, unit=unit).from_day(day).first()
    if other is not None:
        raise ServiceError(
            "cadres.holds_other_position",
            _("%(name)s holds %(position)s in %(unit)s from %(since)s: end that post first.")
            % {
                "name": member.full_name,
                "position": rules.position_label(other.position),
                "unit": unit,
                "since": other.started_on,
            },
            field="member",
        )
    # A discipline in force bars an appointment and a nomination for election alike.
    check_unrestricted(member.pk, day, APPOINTMENT, field="member")


def check_seats(rules: CadreRules, position: Position, unit: OrgUnit, day: dt.date) -> None:
    """Every seat rule covering the post: a free seat on `day`, and enough full members."""
    for seats in rules.seats_for(position.code, unit.kind):
        if seats.min_full_members is not None:
            full = selectors.full_members_on(unit, day)
            if full < seats.min_full_members:
                raise rules.violation(
                    "cadres.too_few_full_members",
                    _(
                        "%(unit)s has %(count)d full members on %(date)s: a %(position)s "
                        "needs at least %(min)d."
                    )
                    % {
                        "unit": unit,
                        "count": full,
                        "date": day,
                        "position": position.display_label,
                        "min": seats.min_full_members,
                    },
                    source=seats.source,
                    field="position",
                )
        if seats.max is not None:
            # A seat taken from a later day counts too: the new post, open-ended, would
            # run beside it.
            taken = (
                PostHolding.objects.filter(unit=unit, position__in=seats.positions)
                .from_day(day)
                .count()
            )
            if taken >= seats.max:
                raise rules.violation(
                    "cadres.seats_full",
                    _(
                        "%(unit)s has %(count)d of its %(max)d seats of %(positions)s taken on "
                        "%(date)s or later."
                    )
                    % {
                        "unit": unit,
                        "count": taken,
                        "max": seats.max,
                        "positions": ", ".join(
                            rules.position_label(p) for p in sorted(seats.positions)
                        ),
                        "date": day,
                    },
                    source=seats.source,
                    field="position",
                )


def is_first_or_higher(rules: CadreRules, member: Member, position: str, unit: OrgUnit) -> bool:
    """Whether the post stands higher than every post the member held or holds (a
    reappointment, or a post no higher than one held before, is not)."""
    rank = rules.rank(position, unit.kind)
    held = PostHolding.objects.valid().filter(member=member).values_list("position", "unit__kind")
    return all(rules.rank(p, kind) < rank for p, kind in held)


def check_working_life(rules: CadreRules, member: Member, received_on: dt.date) -> None:
    """Enough working life left before the retirement age, counted on the day the file is
    received (a first or higher appointment)."""
    if member.birth_date is None:
        raise ServiceError(
            "cadres.birth_date_missing",
            _(
                "%(name)s has no date of birth recorded: the working life left before "
                "retirement cannot be counted."
            )
            % {"name": member.full_name},
            field="member",
        )
    left = months_left(member.birth_date, member.gender, received_on, rules)
    if left < rules.min_months_before_retirement:
        raise rules.violation(
            "cadres.too_close_to_retirement",
            _(
                "%(name)s retires on %(retires)s: %(left)d months of working life are left on "
                "%(date)s; a first or higher appointment needs %(min)d."
            )
            % {
                "name": member.full_name,
                "retires": retirement_date(member.birth_date, member.gender, rules),
                "left": max(left, 0),
                "date": received_on,
                "min": rules.min_months_before_retirement,
            },
            source=rules.min_months_source,
            field="member",
        )


def check_votes(rules: CadreRules, votes_for: int | None, votes_total: int | None) -> None:
    """The votes for are given, within the votes cast, and more than the rule set's share."""
    if votes_for is None or votes_total is None:
        raise ServiceError(
            "cadres.votes_missing",
            _("Give the votes for and the votes cast."),
            field="votes_for" if votes_for is None else "votes_total",
        )
    if votes_total <= 0 or votes_for < 0 or votes_for > votes_total:
        raise ServiceError(
            "cadres.votes_invalid",
            _("%(for)d votes for of %(total)d cast is not possible.")
            % {"for": votes_for, "total": votes_total},
            field="votes_for",
        )
    if votes_for <= rules.election_share * votes_total:
        raise rules.violation(
            "cadres.not_elected",
            _("%(for)d votes for of %(total)d cast is not more than %(share)s: not elected.")
            % {"for": votes_for, "total": votes_total, "share": str(rules.election_share)},
            source=rules.election_source,
            field="votes_for",
        )


def check_document(actor: Any, document: Any, day: dt.date, field: str = "document") -> Any:
    """The decision a record rests on, from the register: readable by the actor, issued,
    dated on or before `day`; None when none is cited (the text as written stands alone)."""
    if document is None:
        return None
    doc = cited_document(actor, document)
    if doc.date > day:
        raise ServiceError(
            "cadres.document_later",
            _("%(symbol)s is dated %(doc_date)s, after %(date)s.")
            % {"symbol": doc.symbol, "doc_date": doc.date, "date": day},
            field=field,
        )
    return doc
