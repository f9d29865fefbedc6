"""Checks the inspection services share: the body (an organ the rule set lets inspect, on a
unit of a kind it sits on, active on the day), the remit (a subject in the body's subtree),
the kind, a document from the register (issued by the body, not after the day it rests on),
a date not in the future."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError
from cadrebook.core.rules import current_ruleset
from cadrebook.documents.references import cited_document
from cadrebook.inspections.rules import InspectionRules
from cadrebook.inspections.selectors import in_remit
from cadrebook.orgs.models import OrgUnit


def _kind_names(codes: Any) -> str:
    """Kinds of unit by the rule set's names in the reader's language (a code it does not
    know, as it is)."""
    kinds = current_ruleset().unit_kinds
    return ", ".join(kinds[c].display_label if c in kinds else c for c in sorted(codes))


def by(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def today() -> dt.date:
    return timezone.localdate()


def check_not_future(day: dt.date, field: str) -> None:
    if day > today():
        raise ServiceError(
            "date.in_future",
            _("%(date)s is in the future: record what has happened.") % {"date": day},
            field=field,
        )


def check_body(
    rules: InspectionRules,
    body: OrgUnit,
    body_kind: str,
    day: dt.date,
    until: dt.date | None = None,
) -> None:
    """The body is an organ the rule set names, on a unit of a kind it sits on, active on
    `day` (or at some time from `day` to `until`)."""
    organ = rules.body(body_kind)
    if organ is None:
        raise rules.violation(
            "inspection.body_kind_unknown",
            _("%(kind)s is not a body of the rule set; known: %(known)s.")
            % {"kind": body_kind, "known": ", ".join(b.code for b in rules.bodies)},
            source=rules.bodies_source,
            field="body_kind",
        )
    if body.kind not in organ.unit_kinds:
        raise rules.violation(
            "inspection.body_not_on_unit",
            _("%(unit)s has no %(body)s: a %(body)s sits on %(kinds)s.")
            % {
                "unit": body,
                "body": organ.display_label,
                "kinds": _kind_names(organ.unit_kinds),
            },
            source=rules.bodies_source,
            field="body_kind",
        )
    last = until or day
    started = body.founded_on is None or body.founded_on <= last
    if not started or (body.dissolved_on is not None and body.dissolved_on <= day):
        raise ServiceError(
            "unit.not_active",
            _("%(unit)s is not active on %(date)s.") % {"unit": body, "date": day},
            field="body",
        )


def check_kind(rules: InspectionRules, kind: str) -> None:
    if rules.kind(kind) is None:
        raise rules.violation(
            "inspection.kind_unknown",
            _(
                "%(kind)s is not a kind of inspection or supervision of the rule set; known: "
                "%(known)s."
            )
            % {"kind": kind, "known": ", ".join(k.code for k in rules.kinds)},
            source=rules.kinds_source,
            field="kind",
        )


def check_unit_in_remit(rules: InspectionRules, body: OrgUnit, unit: OrgUnit, field: str) -> None:
    """A unit inspected by `body` stands below it, in its subtree (lower organizations)."""
    if unit.pk == body.pk or not in_remit(body, unit.path):
        raise rules.violation(
            "inspection.outside_remit",
            _(
                "%(unit)s is not an organization below %(body)s: a body inspects the "
                "organizations of its own subtree."
            )
            % {"unit": unit, "body": body},
            source=rules.bodies_source,
            field=field,
        )


def check_member_in_remit(rules: InspectionRules, body: OrgUnit, member: Any) -> None:
    """A member inspected by `body` belongs to a unit of its subtree."""
    if not in_remit(body, member.unit.path):
        raise rules.violation(
            "inspection.outside_remit",
            _("%(name)s is not a member of %(body)s or of the organizations below it.")
            % {"name": member.full_name, "body": body},
            source=rules.bodies_source,
            field="member",
        )


def check_document(
    actor: Any,
    rules: InspectionRules,
    document: Any,
    *,
    required: bool,
    issuer: OrgUnit,
    day: dt.date,
    field: str,
) -> Any:
    """The document a record rests on, from the register: readable by the actor, issued,
    issued by the body, dated on or before `day`; None when none is cited and none is
    required."""
    if document is None:
        if required:
            raise rules.violation(
                "inspection.document_missing",
                _("Cite the document from the register."),
                field=field,
            )
        return None
    doc = cited_document(actor, document)
    if doc.issuer_id != issuer.pk:
        raise rules.violation(
            "inspection.document_not_bodys",
            _(
                "%(symbol)s was issued by %(other)s: the record rests on a document of "
                "%(unit)s, the body that decides."
            )
            % {"symbol": doc.symbol, "other": doc.issuer, "unit": issuer},
            field=field,
        )
    if doc.date > day:
        raise ServiceError(
            "inspection.document_later",
            _("%(symbol)s is dated %(doc_date)s, after %(date)s.")
            % {"symbol": doc.symbol, "doc_date": doc.date, "date": day},
            field=field,
        )
    return doc
