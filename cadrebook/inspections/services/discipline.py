"""Writes of discipline: a decision on a member or an organization (`discipline_decide`), an
appeal against it (`appeal_lodge`) and the appeal's decision (`appeal_decide`).

Every check goes through the pure engine (`cadrebook.inspections.discipline_rules`), whose
refusals name the rule's source; a refusal writes nothing. The consequences of a decision go
through the services of the apps that own them, in the same transaction: an expulsion
records the member's `expelled` event (`members.services.member_expel`), a dissolution the
unit's (`members.services.unit_merge` when the decision hands the members over to a unit,
else `unit_dissolve`), a removal from post the end of the member's posts (a hook the cadres
app fills, `POST_REMOVAL_HOOKS`). An annulled expulsion restores membership by a correction that voids
the `expelled` event (`member_correct_event`), never by an edit; an annulled removal from post
(or one changed on appeal to a form that is no removal from post) restores the posts it ended
(a hook the cadres app fills, `POST_RESTORE_HOOKS`: a record of its own voids each end).

Unlike the inspection services, these check the actor's scope themselves: the subject must
be within what the actor may `decide_discipline` on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.scoping import scope_for
from cadrebook.documents.references import cited_document
from cadrebook.inspections import discipline_rules as engine
from cadrebook.inspections.choices import MAX_VOTERS, AppealOutcome, DisciplineStatus, SubjectKind
from cadrebook.inspections.models import Appeal, Discipline, Inspection
from cadrebook.inspections.permissions import DECIDE_DISCIPLINE
from cadrebook.inspections.rules import inspection_rules
from cadrebook.inspections.services._checks import by, check_body, check_document, check_not_future
from cadrebook.members.choices import EventType, MemberStatus
from cadrebook.members.expulsion import by_discipline_decision
from cadrebook.members.models import Member, MemberEvent
from cadrebook.members.selectors import member_status_as_of
from cadrebook.members.services import (
    member_correct_event,
    member_expel,
    unit_dissolve,
    unit_merge,
    unit_restore,
)
from cadrebook.orgs.models import OrgUnit

# Called with (actor, discipline) when a removal from post is decided, in the decision's
# transaction: the cadre records end the member's posts here (`cadres/hooks.py`).
POST_REMOVAL_HOOKS: list[Callable[[Any, Discipline], None]] = []
# Asked (member, day) whether the member holds a post when the caller does not say
# (`holds_post=None`): the cadre records answer here (`cadres/hooks.py`). No hook: no post.
POST_HOLDER_HOOKS: list[Callable[[Member, dt.date], bool]] = []
# Called with (actor, discipline, reason, document as written) when a removal from post is
# annulled on appeal, or changed to a form that is no removal from post, in the appeal
# decision's transaction: the cadre records void the ends that discipline caused and run
# the posts again (`cadres/hooks.py`).
POST_RESTORE_HOOKS: list[Callable[[Any, Discipline, str, str], None]] = []

DISCIPLINE_FIELDS = [
    "subject_kind",
    "member",
    "unit",
    "subject_status",
    "subject_path",
    "form",
    "body",
    "body_kind",
    "decided_on",
    "document",
    "document_text",
    "violation",
    "violation_kind",
    "violation_on",
    "duty_related",
    "votes",
    "voters_total",
    "proposing_for",
    "proposing_total",
    "relations",
    "may_admit",
    "inspection",
    "status",
]
STATUS_FIELDS = ["status", "annulled_by"]
APPEAL_FIELDS = ["discipline", "lodged_on", "received_on", "body", "body_kind", "document_text"]
APPEAL_DECISION_FIELDS = ["decided_on", "outcome", "new_form", "document", "document_text"]

# Checks ----------------------------------------------------------------------------------------


def _check_scope(actor: Any, path: str, field: str) -> None:
    """The subject stands within what the actor may decide discipline on."""
    if not scope_for(actor, DECIDE_DISCIPLINE).covers_path(path):
        raise ServiceError(
            "discipline.outside_scope",
            _("You may not record discipline on this subject: it is outside your scope."),
            field=field,
        )


def _check_body_active(body: OrgUnit, day: dt.date) -> None:
    started = body.founded_on is None or body.founded_on <= day
    if not started or (body.dissolved_on is not None and body.dissolved_on <= day):
        raise ServiceError(
            "unit.not_active",
            _("%(unit)s is not active on %(date)s.") % {"unit": body, "date": day},
            field="body",
        )


def _relations(
    r: engine.DisciplineRules,
    body: OrgUnit,
    subject_kind: str,
    subject_path: str,
    extra: Iterable[str],
) -> tuple[str, ...]:
    """The subject's relations to the body: read from the tree (a member of the body's unit
    or of its subtree; an organization below it), with those the caller knows (`extra`:
    committee seats and cadre management, until those records exist)."""
    inside = subject_path.startswith(body.path)
    if subject_kind == SubjectKind.UNIT:
        inside = inside and subject_path != body.path
    if not inside:
        raise RuleViolation(
            "discipline.outside_remit",
            _(
                "The subject is not a member or an organization of %(body)s or of the "
                "organizations below it: the body has no power over it."
            )
            % {"body": body},
            source=r.authority_source,
            field="body",
        )
    found = ["organization" if subject_kind == SubjectKind.UNIT else "member"]
    known = {rel.code for rel in r.relations}
    for rel in extra:
        if rel not in known:
            raise ServiceError(
                "discipline.relation_unknown",
                _("%(relation)s is not a relation of the rule set; known: %(known)s.")
                % {"relation": rel, "known": ", ".join(sorted(known))},
                field="relations",
            )
        if rel not in found:
            found.append(rel)
    return tuple(found)


def _holds_post(member: Member, day: dt.date, holds_post: bool | None) -> bool:
    if holds_post is not None:
        return holds_post
    return any(hook(member, day) for hook in POST_HOLDER_HOOKS)


def _check_votes(
    r: engine.DisciplineRules,
    form: str,
    votes: Mapping[str, int] | None,
    voters_total: int | None,
    proposing_for: int | None,
    proposing_total: int | None,
    taken_over: bool,
) -> dict[str, int]:
    """The votes as stored: required and checked on a decision recorded as it is taken; `{}`
    (unknown) for a decision `taken_over` from old files without them (the import)."""
    for field, count in (("voters_total", voters_total), ("proposing_total", proposing_total)):
        if isinstance(count, int) and count > MAX_VOTERS:
            raise ServiceError(
                "discipline.votes_too_many",
                _("A body of more than %(max)s full members cannot be recorded.")
                % {"max": MAX_VOTERS},
                field=field,
            )
    if votes is None and voters_total is None:
        if taken_over:
            return {}
        raise RuleViolation(
            "discipline.votes_missing",
            _(
                "Give the body's votes (the count for each form and for none) and the number "
                "of its full members: %(form)s needs them. Only a past decision taken over "
                "from old files may omit them."
            )
            % {"form": r.form_label(form)},
            source=r.votes_source,
            field="votes",
        )
    if votes is None or voters_total is None:
        raise RuleViolation(
            "discipline.votes_incomplete",
            _("Give both the votes and the number of the body's full members, or neither."),
            source=r.votes_source,
            field="votes",
        )
    engine.check_votes(form, votes, voters_total, proposing_for, proposing_total, rules=r)
    return {str(k): int(v) for k, v in votes.items()}


def _check_violation_kind(kind: str) -> None:
    if not kind:
        return
    rules = inspection_rules()
    if rules.violation_kind(kind) is None:
        raise rules.violation(
            "discipline.violation_kind_unknown",
            _("%(kind)s is not a kind of violation of the rule set; known: %(known)s.")
            % {"kind": kind, "known": ", ".join(v.code for v in rules.violation_kinds)},
            source=rules.violations_source,
            field="violation_kind",
        )


def _subject_filter(member: Member | None, unit: OrgUnit | None) -> dict[str, Any]:
    return {"member": member} if member is not None else {"unit": unit}


def _check_not_twice(
    r: engine.DisciplineRules,
    member: Member | None,
    unit: OrgUnit | None,
    violation_on: dt.date,
    violation_kind: str,
    violation: str,
    inspection: Inspection | None,
    replacing: Discipline | None,
) -> None:
    """A violation is disciplined once: refused when another discipline of the same
    subject, not annulled (nor replaced on appeal), is for the same violation — the same finding of an inspection
    (both linked to the same inspection: it holds one finding per subject), or a violation
    committed on the same day of the same kind (when either gives no kind, of the same
    text). A different violation on the same day (another kind, or another text without a
    kind) is disciplined on its own."""
    # A decision changed on appeal is carried on by its replacement (in force, same
    # violation), which this finds; the changed one itself is not counted again, or an
    # appeal against the replacement could never change it in turn.
    others = Discipline.objects.filter(
        **_subject_filter(member, unit), status=DisciplineStatus.IN_FORCE
    )
    same_day = Q(violation_on=violation_on)
    others = others.filter(same_day | Q(inspection=inspection) if inspection else same_day)
    if replacing is not None:
        others = others.exclude(pk=replacing.pk)
    text = violation.strip().casefold()
    for other in others.order_by("decided_on", "id"):
        if inspection is not None and other.inspection_id == inspection.pk:
            same = True
        elif other.violation_on != violation_on:
            same = False
        elif violation_kind and other.violation_kind:
            same = other.violation_kind == violation_kind
        else:
            same = other.violation.strip().casefold() == text
        if same:
            raise RuleViolation(
                "discipline.twice",
                _(
                    "This violation of %(day)s was already disciplined (%(form)s, decided on "
                    "%(decided)s); a violation is disciplined once."
                )
                % {
                    "day": other.violation_on.isoformat(),
                    "form": r.form_label(other.form),
                    "decided": other.decided_on.isoformat(),
                },
                source=r.source,
                field="violation_on",
            )


# Consequences ----------------------------------------------------------------------------------


def _expelled_event(member: Member, day: dt.date) -> MemberEvent | None:
    """The member's `expelled` event of `day` not voided by a correction."""
    voided = MemberEvent.objects.filter(member=member, type=EventType.CORRECTION, void=True).values(
        "corrects_id"
    )
    return (
        MemberEvent.objects.filter(member=member, type=EventType.EXPELLED, date=day)
        .exclude(pk__in=voided)
        .order_by("-id")
        .first()
    )


def _recorded_expulsion(
    r: engine.DisciplineRules, member: Member, decided_on: dt.date, is_member: bool
) -> MemberEvent | None:
    """For an expulsion taken over from old files: the member's `expelled` event already
    recorded (by the events import) that the decision stands for — the one of its day,
    which the decision links to instead of expelling twice. Refused, naming it, when the
    events record the member's expulsion on another day (before the decision's day, the
    member no longer being one; or after it)."""
    same_day = _expelled_event(member, decided_on)
    if same_day is not None:
        return same_day
    voided = MemberEvent.objects.filter(member=member, type=EventType.CORRECTION, void=True).values(
        "corrects_id"
    )
    expelled = MemberEvent.objects.filter(member=member, type=EventType.EXPELLED).exclude(
        pk__in=voided
    )
    # Not a member that day: expelled before it. A member that day: the expulsion the
    # events recorded is a later one (the decision cannot go before it).
    earlier = (
        expelled.filter(date__gt=decided_on).order_by("date", "id").first()
        if is_member
        else expelled.filter(date__lt=decided_on).order_by("-date", "-id").first()
    )
    if earlier is None:
        return None
    raise RuleViolation(
        "discipline.expulsion_recorded_otherwise",
        _(
            "%(name)s's expulsion is already recorded on %(day)s (the member's events), not "
            "on %(decided)s: the decision taken over must carry the day of that event, or "
            "the event be corrected first."
        )
        % {
            "name": member.full_name,
            "day": earlier.date.isoformat(),
            "decided": decided_on.isoformat(),
        },
        source=r.source,
        field="decided_on",
    )


def _apply(
    actor: Any, d: Discipline, members_to: OrgUnit | None, expelled: MemberEvent | None = None
) -> None:
    """The consequences of the form of `d`, through the services that own them. An
    expulsion whose `expelled` event is already recorded (`expelled`: taken over from old
    files, the event imported first) links to it and records no second one."""
    text = d.document_text
    if d.form == "expulsion" and d.member is not None and expelled is not None:
        return
    if d.form == "expulsion" and d.member is not None:
        with by_discipline_decision():  # the one route of an `expelled` event
            member_expel(
                actor=actor,
                member=d.member,
                date=d.decided_on,
                # The violation is the inspectors' (view_inspections); the member's history is
                # read by everyone who reads the member: it says what was decided, not why.
                reason=_("Expelled by a discipline decision"),
                document=d.document.symbol if d.document is not None else text,
                registered_document=d.document,
            )
    elif d.form == "dissolution" and d.unit is not None:
        unit = d.unit
        if members_to is not None:
            unit_merge(actor=actor, unit=unit, into=members_to, date=d.decided_on, document=text)
            return
        active = Member.objects.filter(
            unit__path__startswith=unit.path,
            status__in=(MemberStatus.PROBATIONARY, MemberStatus.FULL),
        ).exists()
        if active:
            raise ServiceError(
                "discipline.dissolution_members",
                _(
                    "%(unit)s still has members: the decision must say which unit they are "
                    "handed over to."
                )
                % {"unit": unit},
                field="members_to",
            )
        unit_dissolve(actor=actor, unit=unit, date=d.decided_on, document=text)
    elif d.form in engine.discipline_rules().forms_needing_post:
        for hook in POST_REMOVAL_HOOKS:
            hook(actor, d)


def _undo(
    actor: Any, d: Discipline, reason: str, document: str, *, keeps_post_removal: bool = False
) -> None:
    """Reverse what `d` did when it is annulled or changed to another form: an expulsion by a
    correction voiding the `expelled` event (membership and periods restored); a dissolution
    by restoring the organization (`unit_restore`: its members handed over stay where they
    went); a removal from post by restoring the posts it ended (`POST_RESTORE_HOOKS`),
    unless the new form removes from post as well (`keeps_post_removal`: the posts stay
    ended)."""
    if d.form == "expulsion" and d.member is not None:
        event = _expelled_event(d.member, d.decided_on)
        if event is not None:
            member_correct_event(
                actor=actor, event=event, reason=reason, void=True, document=document
            )
    elif d.form == "dissolution" and d.unit is not None:
        # The organization stands again; the members handed over stay where they went.
        unit_restore(actor=actor, unit=d.unit, reason=reason, document=document)
    elif d.form in engine.discipline_rules().forms_needing_post and not keeps_post_removal:
        for hook in POST_RESTORE_HOOKS:
            hook(actor, d, reason, document)


# Decisions ---------------------------------------------------------------------------------------


def _decide(
    *,
    actor: Any,
    r: engine.DisciplineRules,
    subject_kind: str,
    member: Member | None,
    unit: OrgUnit | None,
    subject_status: str,
    subject_path: str,
    relation_path: str,
    holds_post: bool,
    form: str,
    body: OrgUnit,
    body_kind: str,
    decided_on: dt.date,
    doc: Any,
    document_text: str,
    violation: str,
    violation_kind: str,
    violation_on: dt.date,
    duty_related: bool,
    votes: Mapping[str, int] | None,
    voters_total: int | None,
    proposing_for: int | None,
    proposing_total: int | None,
    inspection: Inspection | None,
    relations: Iterable[str],
    may_admit: bool,
    limitation_on: dt.date,
    replacing: Discipline | None,
    taken_over: bool,
) -> Discipline:
    """Check a decision through the engine and write it (without its consequences). The
    subject's relation to the body is read at `relation_path` (where it stood on the day of
    the decision); the record is scoped by `subject_path` (where it stands now: the record
    follows the member)."""
    engine.check_form(
        form,
        subject_kind,
        subject_status if subject_kind == SubjectKind.MEMBER else None,
        holds_post,
        rules=r,
    )
    engine.authority_body(body_kind, body.kind, rules=r)  # refused: no such body
    _check_body_active(body, decided_on)
    rels = _relations(r, body, subject_kind, relation_path, relations)
    engine.check_authority(body_kind, body.kind, rels, form, may_admit=may_admit, rules=r)
    stored_votes = _check_votes(
        r, form, votes, voters_total, proposing_for, proposing_total, taken_over
    )
    engine.check_limitation(form, violation_on, limitation_on, rules=r)
    _check_not_twice(
        r, member, unit, violation_on, violation_kind, violation, inspection, replacing
    )
    return Discipline.objects.create(
        subject_kind=subject_kind,
        member=member,
        unit=unit,
        subject_status=subject_status if subject_kind == SubjectKind.MEMBER else "",
        subject_path=subject_path,
        form=form,
        body=body,
        body_kind=body_kind,
        path=body.path,
        decided_on=decided_on,
        document=doc,
        document_text=(document_text or (doc.symbol if doc else "")).strip(),
        violation=violation,
        violation_kind=violation_kind,
        violation_on=violation_on,
        duty_related=duty_related,
        votes=stored_votes,
        voters_total=voters_total if stored_votes else None,
        proposing_for=proposing_for if stored_votes else None,
        proposing_total=proposing_total if stored_votes else None,
        relations=list(rels),
        may_admit=may_admit,
        inspection=inspection,
        ruleset=r.ruleset_id,
        created_by=by(actor),
    )


def _audit(actor: Any, d: Discipline, event_type: str, **extra: Any) -> None:
    audit_record(
        actor=actor,
        obj=d,
        action="create",
        event_type=event_type,
        unit=d.member.unit if d.member is not None else d.unit,
        after=snapshot(d, DISCIPLINE_FIELDS) | extra,
    )


def discipline_decide(
    *,
    actor: Any,
    subject_kind: str,
    member: Any = None,
    unit: OrgUnit | None = None,
    form: str,
    body: OrgUnit,
    body_kind: str,
    decided_on: dt.date,
    document: Any = None,
    document_text: str = "",
    violation: str,
    violation_kind: str = "",
    violation_on: dt.date,
    duty_related: bool = False,
    votes: Mapping[str, int] | None = None,
    voters_total: int | None = None,
    proposing_for: int | None = None,
    proposing_total: int | None = None,
    inspection: Inspection | None = None,
    child_under_months: bool = False,
    youngest_child_born_on: dt.date | None = None,
    holds_post: bool | None = None,
    relations: Iterable[str] = (),
    may_admit: bool = False,
    members_to: OrgUnit | None = None,
    taken_over: bool = False,
) -> Discipline:
    """Record the decision of `body_kind` of `body` on `decided_on` imposing `form` on a
    member (`subject_kind="member"`, `member`) or an organization (`"unit"`, `unit`) for
    `violation` (its kind from the rule set's list, committed on `violation_on`).

    Refused with the rule's source, nothing written: a form the subject may not receive (a
    member's standing on `decided_on`, full or probationary; `removal_from_post` only when
    the member holds a post: `holds_post`, else asked of the restriction hook), a form
    beyond the body's authority (the subject's relation to the body from the tree: a member
    of the body's unit or its subtree, an organization below it, plus the `relations` the
    caller knows, e.g. `own_committee_member`, until committee records exist; `may_admit`:
    the body holds the power to admit — both declared by the caller until committee seats
    and cadre management records exist with issue 20, and stored on the decision with the
    relations read from the tree, so its basis stays on the record) naming the body to
    forward to, votes that do not
    reach `form`, the limitation period, a member raising a child under the rule set's
    months (`child_under_months`, or `youngest_child_born_on`), a second discipline for the
    same violation (same subject, not annulled, and the same inspection's finding, or the
    same day of violation and kind — text when a kind is missing), a subject outside the
    actor's `decide_discipline` scope.

    `votes` ({form: count, "none": count} of `voters_total` full members; for an expulsion
    the proposing body's `proposing_for` of `proposing_total`) are required and checked; a
    past decision `taken_over` from old files (the import) may omit them: they are then
    recorded as unknown (empty votes, no total) and not checked. An expulsion `taken_over`
    whose member's `expelled` event is already recorded on `decided_on` (the events import
    of the same past) links to that event instead of recording a second one (the audit
    entry names it, `expelled_event`); an `expelled` event of another day standing on
    `decided_on` is refused, naming its day.

    `document`: the decision from the register (an id or a `Document`, issued by `body`),
    or `document_text` as written. `members_to`: for a dissolution, the unit the decision
    hands the organization's members over to (required when it still has members).
    Consequences in the same transaction (see the module's docstring); audited."""
    r = engine.discipline_rules()
    expelled: MemberEvent | None = None
    if subject_kind not in engine.SUBJECT_KINDS:
        raise ServiceError(
            "discipline.subject_kind_unknown",
            _("A discipline is on a member or an organization, not %(kind)s.")
            % {"kind": subject_kind},
            field="subject_kind",
        )
    if (subject_kind == SubjectKind.MEMBER) != (member is not None) or (
        subject_kind == SubjectKind.UNIT
    ) != (unit is not None):
        raise ServiceError(
            "discipline.subject_missing",
            _("Give the member or the organization disciplined, as the kind of subject says."),
            field="member" if subject_kind == SubjectKind.MEMBER else "unit",
        )
    violation = (violation or "").strip()
    if not violation:
        raise ServiceError(
            "discipline.violation_missing", _("State the violation."), field="violation"
        )
    check_not_future(decided_on, "decided_on")
    if violation_on > decided_on:
        engine.check_limitation(form, violation_on, decided_on, rules=r)
    _check_violation_kind(violation_kind)
    with transaction.atomic():
        if member is not None:
            member = Member.objects.select_for_update().select_related("unit").get(pk=member.pk)
            period = member_status_as_of(member, decided_on)
            if taken_over and form == "expulsion":
                expelled = _recorded_expulsion(r, member, decided_on, period is not None)
                if expelled is not None:
                    # Already expelled that day by the imported event: the standing the
                    # decision found is the one of the day before.
                    period = member_status_as_of(member, decided_on - dt.timedelta(days=1))
            if period is None:
                raise RuleViolation(
                    "discipline.subject_not_member",
                    _("%(name)s is not a member on %(day)s.")
                    % {"name": member.full_name, "day": decided_on.isoformat()},
                    source=r.source,
                    field="member",
                )
            status = period.status
            subject_path = member.unit.path
            relation_path = period.unit.path
            engine.check_child_under(
                decided_on,
                youngest_child_born_on=youngest_child_born_on,
                raising_child_under=child_under_months,
                rules=r,
            )
            post = _holds_post(member, decided_on, holds_post)
        else:
            assert unit is not None
            unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
            status = ""
            subject_path = relation_path = unit.path
            post = False
        _check_scope(actor, subject_path, "member" if member is not None else "unit")
        doc = check_document(
            actor,
            inspection_rules(),
            document,
            required=False,
            issuer=body,
            day=decided_on,
            field="document",
        )
        d = _decide(
            actor=actor,
            r=r,
            subject_kind=subject_kind,
            member=member,
            unit=unit,
            subject_status=status,
            subject_path=subject_path,
            relation_path=relation_path,
            holds_post=post,
            form=form,
            body=body,
            body_kind=body_kind,
            decided_on=decided_on,
            doc=doc,
            document_text=document_text,
            violation=violation,
            violation_kind=violation_kind,
            violation_on=violation_on,
            duty_related=duty_related,
            votes=votes,
            voters_total=voters_total,
            proposing_for=proposing_for,
            proposing_total=proposing_total,
            inspection=inspection,
            relations=relations,
            may_admit=may_admit,
            limitation_on=decided_on,
            replacing=None,
            taken_over=taken_over,
        )
        _apply(actor, d, members_to, expelled)
        _audit(
            actor,
            d,
            "discipline.decided",
            votes_known=bool(d.votes),
            **({"members_to": members_to.pk} if members_to is not None else {}),
            **({"expelled_event": expelled.pk} if expelled is not None else {}),
        )
        return d


def _appeal_body_above(r: engine.DisciplineRules, discipline: Discipline, body: OrgUnit) -> None:
    """An appeal goes to the level directly above the deciding body (its unit's parent), not
    to one further up: each level hears the appeal against the one below it."""
    steplen = type(body).steplen
    above = discipline.path[:-steplen]
    if not above or body.path != above:
        deciding = discipline.body
        parent = deciding.get_parent() if above else None
        message = (
            _(
                "An appeal against %(body)s goes to the level directly above it, %(above)s, not to %(unit)s."
            )
            % {"body": deciding, "above": parent, "unit": body}
            if parent is not None
            else _("An appeal against %(body)s goes beyond this deployment, not to %(unit)s.")
            % {"body": deciding, "unit": body}
        )
        raise RuleViolation(
            "discipline.appeal_level", message, source=r.appeals_source, field="body"
        )


def appeal_lodge(
    *,
    actor: Any,
    discipline: Discipline,
    lodged_on: dt.date,
    received_on: dt.date,
    body: OrgUnit,
    body_kind: str,
    document: Any = None,
    document_text: str = "",
) -> Appeal:
    """Record an appeal against `discipline`, lodged on `lodged_on`, the decision having been
    received on `received_on`, to `body_kind` of `body` (a kind the rule set names, at the
    level above the deciding body). Refused after the rule set's deadline counted from the
    receipt, with its source. The decision stays in force meanwhile. Audited."""
    r = engine.discipline_rules()
    check_not_future(lodged_on, "lodged_on")
    if received_on < discipline.decided_on:
        raise ServiceError(
            "discipline.received_before_decision",
            _("The decision of %(decided)s cannot have been received on %(received)s.")
            % {"decided": discipline.decided_on.isoformat(), "received": received_on.isoformat()},
            field="received_on",
        )
    engine.check_appeal_in_time(received_on, lodged_on, rules=r)
    engine.check_appeal_body(body_kind, rules=r)
    check_body(inspection_rules(), body, body_kind, lodged_on)
    with transaction.atomic():
        discipline = Discipline.objects.select_for_update(of=("self",)).get(pk=discipline.pk)
        _check_scope(actor, discipline.current_subject_path, "discipline")
        _appeal_body_above(r, discipline, body)
        if discipline.status != DisciplineStatus.IN_FORCE:
            raise ServiceError(
                "discipline.not_in_force",
                _("The decision was already changed or annulled; appeal the one in force."),
                field="discipline",
            )
        if discipline.appeals.filter(outcome=AppealOutcome.PENDING).exists():
            raise ServiceError(
                "discipline.appeal_pending",
                _("An appeal against this decision is already waiting for its decision."),
                field="discipline",
            )
        doc = None
        if document is not None:
            doc = cited_document(actor, document)
        appeal = Appeal.objects.create(
            discipline=discipline,
            lodged_on=lodged_on,
            received_on=received_on,
            body=body,
            body_kind=body_kind,
            path=body.path,
            subject_path=discipline.subject_path,
            document=doc,
            document_text=(document_text or (doc.symbol if doc else "")).strip(),
            created_by=by(actor),
        )
        audit_record(
            actor=actor,
            obj=appeal,
            action="create",
            event_type="discipline.appeal_lodged",
            unit=body,
            after=snapshot(appeal, APPEAL_FIELDS)
            | {"deadline": engine.appeal_deadline(received_on, rules=r)},
        )
        return appeal


def appeal_decide(
    *,
    actor: Any,
    appeal: Appeal,
    decided_on: dt.date,
    outcome: str,
    new_form: str = "",
    document: Any = None,
    document_text: str = "",
    votes: Mapping[str, int] | None = None,
    voters_total: int | None = None,
    proposing_for: int | None = None,
    proposing_total: int | None = None,
    holds_post: bool | None = None,
    relations: Iterable[str] = (),
    may_admit: bool = False,
    taken_over: bool = False,
) -> Appeal:
    """Decide a pending `appeal`: `outcome` upheld, changed (to `new_form`, checked as a
    new decision of that form by the appeal's body would be: the form for the subject, the
    body's authority, the votes — required, with the proposal an expulsion needs, unless the
    appeal's decision is `taken_over` from old files) or annulled. A changed or annulled discipline keeps its record
    (status `changed` / `annulled`, `annulled_by` the appeal); a changed one is followed by a
    new discipline with the new form, from the appeal's decision. An annulled (or changed
    away from) expulsion restores membership through a correction voiding the `expelled`
    event; an annulled removal from post (or one changed to a form that is no removal from
    post) restores the posts it ended (`POST_RESTORE_HOOKS`). Audited, in one transaction."""
    r = engine.discipline_rules()
    if outcome not in (AppealOutcome.UPHELD, AppealOutcome.CHANGED, AppealOutcome.ANNULLED):
        raise ServiceError(
            "discipline.appeal_outcome",
            _("An appeal is upheld, changed or annulled, not %(outcome)s.") % {"outcome": outcome},
            field="outcome",
        )
    check_not_future(decided_on, "decided_on")
    with transaction.atomic():
        appeal = (
            Appeal.objects.select_for_update(of=("self",)).select_related("body").get(pk=appeal.pk)
        )
        discipline = (
            Discipline.objects.select_for_update(of=("self",))
            .select_related("member", "unit", "body")
            .get(pk=appeal.discipline_id)
        )
        _check_scope(actor, discipline.current_subject_path, "appeal")
        if appeal.outcome != AppealOutcome.PENDING:
            raise ServiceError(
                "discipline.appeal_decided",
                _("The appeal was already decided (%(outcome)s).")
                % {"outcome": AppealOutcome(appeal.outcome).label},
                field="outcome",
            )
        if decided_on < appeal.lodged_on:
            raise ServiceError(
                "discipline.appeal_decided_early",
                _("The appeal lodged on %(lodged)s cannot be decided on %(day)s.")
                % {"lodged": appeal.lodged_on.isoformat(), "day": decided_on.isoformat()},
                field="decided_on",
            )
        if outcome == AppealOutcome.CHANGED and (not new_form or new_form == discipline.form):
            raise ServiceError(
                "discipline.appeal_new_form",
                _("A changed decision names its new form, other than %(form)s.")
                % {"form": r.form_label(discipline.form)},
                field="new_form",
            )
        doc = check_document(
            actor,
            inspection_rules(),
            document,
            required=False,
            issuer=appeal.body,
            day=decided_on,
            field="document",
        )
        before = snapshot(appeal, APPEAL_DECISION_FIELDS)
        text = (document_text or (doc.symbol if doc else "")).strip()
        replacement = None
        if outcome != AppealOutcome.UPHELD:
            reason = _("Appeal decided on %(day)s: %(outcome)s.") % {
                "day": decided_on.isoformat(),
                "outcome": AppealOutcome(outcome).label,
            }
            _undo(
                actor,
                discipline,
                reason,
                text,
                keeps_post_removal=(
                    outcome == AppealOutcome.CHANGED and new_form in r.forms_needing_post
                ),
            )
            Discipline.objects.filter(pk=discipline.pk).update(
                status=(
                    DisciplineStatus.ANNULLED
                    if outcome == AppealOutcome.ANNULLED
                    else DisciplineStatus.CHANGED
                ),
                annulled_by=appeal,
            )
        if outcome == AppealOutcome.CHANGED:
            member = discipline.member
            replacement = _decide(
                actor=actor,
                r=r,
                subject_kind=discipline.subject_kind,
                member=member,
                unit=discipline.unit,
                subject_status=discipline.subject_status,
                subject_path=discipline.subject_path,
                relation_path=(member.unit.path if member is not None else discipline.subject_path),
                holds_post=(
                    _holds_post(member, discipline.decided_on, holds_post)
                    if member is not None
                    else False
                ),
                form=new_form,
                body=appeal.body,
                body_kind=appeal.body_kind,
                decided_on=decided_on,
                doc=doc,
                document_text=text,
                violation=discipline.violation,
                violation_kind=discipline.violation_kind,
                violation_on=discipline.violation_on,
                duty_related=discipline.duty_related,
                votes=votes,
                voters_total=voters_total,
                proposing_for=proposing_for,
                proposing_total=proposing_total,
                inspection=discipline.inspection,
                relations=relations,
                may_admit=may_admit,
                limitation_on=discipline.decided_on,
                replacing=discipline,
                taken_over=taken_over,
            )
            _apply(actor, replacement, None)
        Appeal.objects.filter(pk=appeal.pk).update(
            decided_on=decided_on,
            outcome=outcome,
            new_form=new_form if outcome == AppealOutcome.CHANGED else "",
            document=doc,
            document_text=text or appeal.document_text,
        )
        appeal.refresh_from_db()
        audit_record(
            actor=actor,
            obj=appeal,
            action="update",
            event_type="discipline.appeal_decided",
            unit=appeal.body,
            before=before,
            after=snapshot(appeal, APPEAL_DECISION_FIELDS)
            | {"discipline": discipline.pk, "status_before": discipline.status},
        )
        if outcome != AppealOutcome.UPHELD:
            discipline.refresh_from_db()
            audit_record(
                actor=actor,
                obj=discipline,
                action="update",
                event_type=f"discipline.{discipline.status}",
                unit=discipline.member.unit if discipline.member is not None else discipline.unit,
                before={"status": DisciplineStatus.IN_FORCE, "annulled_by": None},
                after=snapshot(discipline, STATUS_FIELDS),
            )
        if replacement is not None:
            _audit(actor, replacement, "discipline.decided", replaces=discipline.pk)
        return appeal
