"""Writes of the confidence votes (96-QĐ/TW 2023): a session with the counts of each
person's ballots (`confidence_session_record`).

Secrecy: only counts are taken and kept — how many ballots said "high", "confidence" and
"low" for each person; nothing names a voter, nor could: the service takes no list of who
voted. What the counts mean (out of planning, dismissal, the evaluation's cap) is derived
on reading (`planning_selectors`), never stored, so a rule set's change reads the same
counts anew.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.cadres.models import ConfidenceResult, ConfidenceSession
from cadrebook.cadres.planning_rules import confidence_rules
from cadrebook.cadres.planning_selectors import holds_post_under, is_quorate
from cadrebook.cadres.services._checks import (
    by,
    check_document,
    check_not_future,
    check_scope,
    check_unit_active,
)
from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.rules import current_ruleset
from cadrebook.orgs.models import OrgUnit

SESSION_FIELDS = ["unit", "held_on", "summoned", "present", "document", "document_text", "ruleset"]
COUNTS = ("high", "confidence", "low")


def confidence_session_record(
    *,
    actor: Any,
    unit: OrgUnit,
    held_on: dt.date,
    summoned: int,
    present: int,
    results: Iterable[Mapping[str, Any]],
    document: Any = None,
    document_text: str = "",
) -> ConfidenceSession:
    """Record the confidence vote held by the body of `unit` on `held_on`: those summoned
    and present, and per person voted on (`results`: `member`, `high`, `confidence`, `low`,
    optional `position`) the counts of ballots. Refused: present more than summoned; with
    the rule's source, fewer present than the rule set's quorum of the summoned (the
    session is not valid); a count below zero, or counts adding up to more than those
    present; a person voted on twice, or one holding no post in the unit or below it on
    the day (the vote is on office holders)."""
    rules = confidence_rules()
    listed = list(results)
    with transaction.atomic():
        check_scope(actor, unit)
        check_not_future(held_on, "held_on")
        check_unit_active(unit, held_on)
        if summoned <= 0 or present < 0 or present > summoned:
            raise ServiceError(
                "confidence.attendance_invalid",
                _("%(present)d present of %(summoned)d summoned is not possible.")
                % {"present": present, "summoned": summoned},
                field="present",
            )
        if not is_quorate(summoned, present, rules):
            raise RuleViolation(
                "confidence.no_quorum",
                _(
                    "%(present)d present of %(summoned)d summoned is less than %(quorum)s: the "
                    "vote is not valid."
                )
                % {"present": present, "summoned": summoned, "quorum": str(rules.quorum)},
                source=rules.quorum_source,
                field="present",
            )
        if not listed:
            raise ServiceError(
                "confidence.results_missing", _("Give the counts of each person."), field="results"
            )
        seen: set[int] = set()
        rows = []
        for r in listed:
            member = r["member"]
            counts = [r[c] for c in COUNTS]
            if any(c < 0 for c in counts) or sum(counts) > present:
                raise ServiceError(
                    "confidence.counts_invalid",
                    _(
                        "%(name)s: %(high)d high, %(confidence)d confidence and %(low)d low add "
                        "up to more than the %(present)d present."
                    )
                    % {
                        "name": member.full_name,
                        "high": r["high"],
                        "confidence": r["confidence"],
                        "low": r["low"],
                        "present": present,
                    },
                    field="results",
                )
            if member.pk in seen:
                raise ServiceError(
                    "confidence.member_twice",
                    _("%(name)s is listed twice.") % {"name": member.full_name},
                    field="results",
                )
            seen.add(member.pk)
            held = holds_post_under(member, unit, held_on)
            if held is None:
                raise ServiceError(
                    "confidence.not_a_holder",
                    _("%(name)s holds no post in %(unit)s or below it on %(date)s.")
                    % {"name": member.full_name, "unit": unit, "date": held_on},
                    field="results",
                )
            rows.append((member, r.get("position") or held.position, counts))
        doc = check_document(actor, document, held_on)
        session = ConfidenceSession.objects.create(
            unit=unit,
            held_on=held_on,
            summoned=summoned,
            present=present,
            document=doc,
            document_text=document_text or (doc.symbol if doc is not None else ""),
            ruleset=current_ruleset().id,
            created_by=by(actor),
        )
        made = ConfidenceResult.objects.bulk_create(
            [
                ConfidenceResult(
                    session=session,
                    member=member,
                    position=position,
                    high=counts[0],
                    confidence=counts[1],
                    low=counts[2],
                )
                for member, position, counts in rows
            ]
        )
        after = snapshot(session, SESSION_FIELDS)
        after["results"] = [
            {
                "member": m.member_id,
                "position": m.position,
                "high": m.high,
                "confidence": m.confidence,
                "low": m.low,
            }
            for m in made
        ]
        audit_record(
            actor=actor,
            obj=session,
            action="create",
            event_type="confidence.vote",
            unit=unit,
            after=after,
        )
        return session
