"""Pages of the planning of cadres (succession pools), the confidence votes and the
rotation (issue 20): a unit's planning lists with their structure report, flags and
history; the structure report per level; the confidence votes; the rotation plans and
their stints.

Reads follow `view` on the unit, as the API's (`api.py`): a unit, an entry, a plan or a
stint out of the user's scope answers 404 like a missing one. The people's personal data
(date of birth, the age bracket and retirement derived from it, ethnicity) is masked as the
API masks it without `view_sensitive` on the member's unit, and a page that showed it
unmasked is audited as the members' list is (`members/reads.py`). A page listing
confidence votes is audited as the inspections' lists are (one entry a request, its
filters and rows). A vote shows only counts: nothing names a voter.

Writes need `manage_cadres` on the unit (403 for a user who sees it without it) and go
through the services; a refusal comes back on the field it names, with the rule's code and
source. What cannot be undone (a removal from planning, a yearly review, a stint's end) is
shown back for confirmation first (`core/dry_run.refusal_of`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from cadrebook.cadres.models import (
    ConfidenceResult,
    ConfidenceSession,
    NominationRound,
    PlanningEntry,
    PlanningReview,
    RotationPlan,
    RotationStint,
)
from cadrebook.cadres.permissions import MANAGE_CADRES
from cadrebook.cadres.planning_forms import (
    ConfidenceForm,
    NominationRoundForm,
    PlanningAddForm,
    PlanningRemoveForm,
    PlanningReviewForm,
    RotationPlanForm,
    StintEndForm,
    StintForm,
)
from cadrebook.cadres.planning_rules import confidence_rules, planning_rules
from cadrebook.cadres.planning_selectors import (
    Structure,
    confidence_flags,
    confidence_outcome,
    confidence_sessions,
    is_quorate,
    planning_flags,
    planning_history,
    planning_list,
    planning_structure,
    planning_structure_by_level,
)
from cadrebook.cadres.retirement import retirement_date
from cadrebook.cadres.rotation_selectors import rotation_plans, rotation_stints
from cadrebook.cadres.rules import cadre_rules
from cadrebook.cadres.services import (
    confidence_session_record,
    planning_add,
    planning_remove,
    planning_review,
    planning_round_record,
    rotation_plan_record,
    rotation_stint_add,
    rotation_stint_end,
)
from cadrebook.core.audit import audit_record
from cadrebook.core.dates import MAX_YEAR, MIN_YEAR
from cadrebook.core.dry_run import refusal_of
from cadrebook.core.errors import ServiceError
from cadrebook.core.forms import refusal_text
from cadrebook.core.permissions import VIEW, VIEW_SENSITIVE
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import subtree_q
from cadrebook.core.views import can, get_visible_or_404
from cadrebook.documents.choices import Status
from cadrebook.documents.models import Document, Term
from cadrebook.documents.selectors import readable_documents
from cadrebook.members.choices import Gender
from cadrebook.members.models import Member
from cadrebook.members.reads import member_list_read_record
from cadrebook.members.selectors import MASK
from cadrebook.orgs.models import OrgUnit

ROWS = 100  # sessions or plans on one page; a filter narrows them
DOCUMENT_CHOICES = 100  # the latest issued documents a form offers
LIST_VIEWED = "cadres.list_viewed"
VIA = "page"
OPEN_AGE = 100  # a bracket's upper bound from which it reads "55+"


# -- Shared ----------------------------------------------------------------------------------


def _unit(request: HttpRequest, code: str) -> OrgUnit:
    """A unit the user sees (404 else)."""
    unit: OrgUnit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    return unit


def _managing(request: HttpRequest, unit: OrgUnit) -> None:
    """403 for a user who sees `unit` but may not `manage_cadres` on it."""
    if not can(request.user, MANAGE_CADRES, unit.path):
        raise PermissionDenied


def _home(request: HttpRequest, unit: OrgUnit | None = None) -> OrgUnit | None:
    """Where a "new" button starts from: the unit a list is narrowed to when the user
    manages cadres there, else the top unit where the user does."""
    if unit is not None and can(request.user, MANAGE_CADRES, unit.path):
        return unit
    return OrgUnit.objects.visible_to(request.user, MANAGE_CADRES).order_by("depth", "path").first()


def _day(request: HttpRequest) -> dt.date:
    """The day a page reads (`?as_of=`), today by default."""
    text = (request.GET.get("as_of") or "").strip()
    try:
        day = parse_date(text) if text else None
    except ValueError:
        day = None
    return day or timezone.localdate()


def _documents(request: HttpRequest, unit: OrgUnit) -> list[Document]:
    """The issued documents of `unit` and the units above it that the user may read, newest
    first: those a decision of the unit's cadre work may cite."""
    return list(
        readable_documents(request.user)
        .filter(issuer_id__in=unit.ancestor_ids())
        .exclude(status=Status.DRAFT)
        .order_by("-date", "-id")[:DOCUMENT_CHOICES]
    )


def _terms(request: HttpRequest, unit: OrgUnit) -> list[Term]:
    """The unit's committee terms, latest first."""
    return list(
        Term.objects.visible_to(request.user, VIEW)
        .filter(unit=unit, congress=False)
        .order_by("-start")
    )


def refusal_with_code(exc: ServiceError) -> str:
    """A refusal as these pages show it: the message, the rule's source, and its code."""
    return _("%(refusal)s [%(code)s]") % {"refusal": refusal_text(exc), "code": exc.code}


def _refuse(form: Any, exc: ServiceError, fields: Mapping[str, str | None] | None = None) -> None:
    name = exc.field
    if fields is not None and exc.field is not None and exc.field in fields:
        name = fields[exc.field]
    form.add_error(name if name in form.fields else None, refusal_with_code(exc))


def _submit(
    request: HttpRequest,
    form: Any,
    run: Callable[[], Any],
    *,
    confirm: bool = False,
    fields: Mapping[str, str | None] | None = None,
) -> tuple[bool, bool]:
    """(done, confirming): the service ran, or (with `confirm`, on the first submission)
    it would accept and the answers wait to be confirmed; neither: its refusal is on the
    form, nothing written."""
    if confirm and request.POST.get("confirmed") != "yes":
        refused = refusal_of(run)
        if refused is None:
            return False, True
        _refuse(form, refused, fields)
        return False, False
    try:
        run()
    except ServiceError as exc:
        _refuse(form, exc, fields)
        return False, False
    return True, False


def _form_page(
    request: HttpRequest, context: dict[str, Any], *, status: int | None = None
) -> HttpResponse:
    if status is None:
        status = 422 if request.method == "POST" else 200
    return render(request, "cadres/planning/form_page.html", context, status=status)


def _confirm_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    return render(request, "cadres/planning/confirm.html", context)


def _visible_member(request: HttpRequest, number: int) -> Member | None:
    return (
        Member.objects.visible_to(request.user, VIEW)
        .select_related("unit")
        .filter(pk=number)
        .first()
    )


def list_read_record(
    *, actor: Any, name: str, filters: dict[str, Any], rows: int, via: str = VIA
) -> None:
    """A list of the cadre pages was read (`name`: `confidence_votes`): one entry per
    request with its filters and the number of rows shown, on the top unit of the reader's
    `view` scope, as the inspections' lists are audited (`inspections/reads.py`)."""
    unit = OrgUnit.objects.visible_to(actor, VIEW).order_by("depth", "path").first()
    if unit is None:
        return
    audit_record(
        actor=actor,
        obj=unit,
        action="view",
        event_type=LIST_VIEWED,
        unit=unit,
        after={
            "via": via,
            "list": name,
            "filters": {k: str(v) for k, v in filters.items() if v not in (None, "")},
            "rows": rows,
        },
    )


class _Masking:
    """Each person's personal data as the API shows it (`api._Masking`): unmasked with
    `view_sensitive` on the member's unit, else the members' mask; the members shown
    unmasked, for the audit."""

    def __init__(self, request: HttpRequest, day: dt.date) -> None:
        self.user = request.user
        self.day = day
        self.by_path: dict[str, bool] = {}
        self.shown: dict[int, Member] = {}
        self.rules = cadre_rules()
        self.prules = planning_rules()

    def person(self, member: Member) -> dict[str, Any]:
        path = member.unit.path
        if path not in self.by_path:
            self.by_path[path] = can(self.user, VIEW_SENSITIVE, path)
        data: dict[str, Any] = {
            "member": member,
            "gender": Gender(member.gender).label if member.gender in Gender.values else "",
        }
        if not self.by_path[path]:
            data.update(birth_date=MASK, bracket=MASK, ethnicity=MASK, minority=MASK, retires=MASK)
            return data
        self.shown[member.pk] = member
        birth = member.birth_date
        bracket = ""
        retires: Any = ""
        if birth is not None:
            age = (
                self.day.year
                - birth.year
                - ((self.day.month, self.day.day) < (birth.month, birth.day))
            )
            found = self.prules.bracket_of(age)
            if found is not None:
                bracket = bracket_label(*self.prules.age_brackets[found])
            retires = retirement_date(birth, member.gender, self.rules.retirement)
        minority = bool(member.ethnicity) and member.ethnicity != self.prules.majority_ethnicity
        data.update(
            birth_date=birth or "",
            bracket=bracket,
            ethnicity=member.ethnicity,
            minority=_("Yes") if minority else "",
            retires=retires,
        )
        return data

    def record(self, unit: OrgUnit, filters: dict[str, Any]) -> None:
        """Audit the personal data shown unmasked, as a page of the members' list is."""
        if self.shown:
            member_list_read_record(
                actor=self.user, unit=unit, members=list(self.shown.values()), filters=filters
            )


def bracket_label(low: int, high: int) -> str:
    """An age bracket as shown: "45–54", or "55+" for one open above (the rule set bounds
    it by an age nobody reaches)."""
    return f"{low}+" if high >= OPEN_AGE else f"{low}–{high}"


def _percent(value: Any) -> str:
    return "" if value is None else f"{float(value) * 100:.0f}%"


def _structure(s: Structure) -> dict[str, Any]:
    """A structure report as the template shows it."""
    rules = planning_rules()
    labels = {
        "women": _("Women"),
        "young": _("Young"),
        "ethnic_minority": _("Ethnic minorities"),
    }
    return {
        "label": s.label,
        "people": s.people,
        "brackets": None
        if s.brackets is None
        else [
            {"label": bracket_label(low, high), "count": count}
            for (low, high), count in zip(rules.age_brackets, s.brackets, strict=False)
        ],
        "brackets_short": "age_brackets" in s.shortfalls,
        "shares": [
            {
                "code": share.code,
                "label": labels.get(share.code, share.code),
                "count": MASK if share.count is None else share.count,
                "share": MASK if share.count is None else _percent(share.share),
                "target": _percent(share.target),
                "short": share.short,
            }
            for share in s.shares
        ],
        "short": bool(s.shortfalls),
        "sources": [source for source in s.sources if source],
    }


# -- Planning of a unit -------------------------------------------------------------------


@login_required
def planning_home(request: HttpRequest) -> HttpResponse:
    """`?unit=CODE` opens that unit's planning; else the structure report per level."""
    code = (request.GET.get("unit") or "").strip()
    if code:
        return redirect("cadres_planning:unit", code=_unit(request, code).code)
    return redirect("cadres_planning:structure")


def _term_of(request: HttpRequest, unit: OrgUnit, terms: list[Term]) -> Term | None:
    text = (request.GET.get("term") or "").strip()
    if not text:
        return None
    term = next((t for t in terms if str(t.pk) == text), None)
    if term is None:
        raise Http404
    return term


@login_required
def unit_planning(request: HttpRequest, code: str) -> HttpResponse:
    """The unit's planning on a day (`?as_of=`, of `?term=`): per position its people with
    their data (masked without `view_sensitive`), approval and flags; the structure report
    of each list and of the unit; the history (removals with reasons, reviews, rounds)."""
    unit = _unit(request, code)
    day = _day(request)
    terms = _terms(request, unit)
    term = _term_of(request, unit, terms)
    rules = cadre_rules()
    masking = _Masking(request, day)
    flags: dict[int, list[dict[str, Any]]] = {}
    reasons = {
        "age_limit": _("Past the age limit"),
        "discipline": _("Disciplined at reprimand or above"),
        "confidence_vote": _("Low confidence vote"),
    }
    for f in planning_flags(request.user, day):
        if f.entry.unit_id == unit.pk:
            flags.setdefault(f.entry.pk, []).append(
                {"reason": reasons.get(f.reason, f.reason), "since": f.since, "source": f.source}
            )
    entries = list(planning_list(request.user, unit, day, term).select_related("member__unit"))
    order = {p.code: i for i, p in enumerate(rules.positions)}
    lists: dict[str, list[dict[str, Any]]] = {}
    for e in sorted(entries, key=lambda e: (order.get(e.position, len(order)), e.added_on, e.pk)):
        lists.setdefault(e.position, []).append(
            {"entry": e, "person": masking.person(e.member), "flags": flags.get(e.pk, [])}
        )
    report = planning_structure(request.user, unit, day, term)
    assert report is not None  # the unit is visible
    history = [
        e
        for e in planning_history(request.user, unit, term).select_related("member")
        if getattr(e, "removal", None) is not None
    ]
    reviews = PlanningReview.objects.filter(unit=unit).select_related("term")
    rounds = NominationRound.objects.filter(unit=unit).select_related("term")
    if term is not None:
        reviews = reviews.filter(term=term)
        rounds = rounds.filter(term=term)
    rounds = rounds.prefetch_related("nominations__member").order_by("-held_on", "-id")
    masking.record(unit, {"unit": unit.code, "as_of": day, "term": term.pk if term else None})
    return render(
        request,
        "cadres/planning/unit.html",
        {
            "unit": unit,
            "day": day,
            "terms": terms,
            "term": term,
            "lists": [
                {"position": rules.position_label(p), "rows": rows, "code": p}
                for p, rows in lists.items()
            ],
            "structures": [_structure(s) for s in report.lists],
            "whole": _structure(report.whole),
            "history": [
                {"entry": e, "position": rules.position_label(e.position)} for e in history
            ],
            "reviews": list(reviews.order_by("-year", "-id")),
            "rounds": [
                {
                    "round": r,
                    "nominations": [
                        {"nomination": n, "position": rules.position_label(n.position)}
                        for n in sorted(r.nominations.all(), key=lambda n: n.pk)
                    ],
                }
                for r in rounds
            ],
            "may_manage": can(request.user, MANAGE_CADRES, unit.path),
            "limits": planning_rules(),
        },
    )


def _managed_unit(request: HttpRequest, code: str) -> OrgUnit:
    unit = _unit(request, code)
    _managing(request, unit)
    return unit


def _back_to_unit(unit: OrgUnit) -> str:
    return reverse("cadres_planning:unit", kwargs={"code": unit.code})


@login_required
def round_new(request: HttpRequest, code: str) -> HttpResponse:
    """Record a nomination round of the unit, with the votes of each person nominated."""
    unit = _managed_unit(request, code)
    rules = cadre_rules()
    terms = _terms(request, unit)
    form = NominationRoundForm(
        request.POST or None, rules=rules, terms=terms, documents=_documents(request, unit)
    )
    context: dict[str, Any] = {
        "form": form,
        "unit": unit,
        "title": _("Record a nomination round"),
        "back": _back_to_unit(unit),
        "submit": _("Record the round"),
    }
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, context)
    d = form.cleaned_data
    term = next(t for t in terms if t.pk == d["term"])
    nominations = []
    for row in d["nominations"]:
        member = _visible_member(request, row.member)
        if member is None:
            form.add_error("nominations", _("No member %(id)s in your scope.") % {"id": row.member})
            continue
        nominations.append(
            {
                "member": member,
                "position": row.position,
                "purpose": row.purpose,
                "votes_for": row.votes_for,
            }
        )
    if form.errors:
        return _form_page(request, context)
    done, _confirming = _submit(
        request,
        form,
        lambda: planning_round_record(
            actor=request.user,
            unit=unit,
            term=term,
            step=d["step"],
            held_on=d["held_on"],
            ballots=d["ballots"],
            nominations=nominations,
            document=d["document"],
            document_text=d["document_text"],
        ),
        fields={
            "member": "nominations",
            "position": "nominations",
            "purpose": "nominations",
            "votes_for": "nominations",
        },
    )
    if not done:
        return _form_page(request, context)
    messages.success(request, _("The nomination round is recorded."))
    return redirect(_back_to_unit(unit))


@login_required
def planning_add_page(request: HttpRequest, code: str) -> HttpResponse:
    """Add a person to the planning of a post of the unit, on the competent body's
    approval."""
    unit = _managed_unit(request, code)
    terms = _terms(request, unit)
    form = PlanningAddForm(
        request.POST or None,
        initial={"position": request.GET.get("position", "")},
        rules=cadre_rules(),
        terms=terms,
        documents=_documents(request, unit),
    )
    context: dict[str, Any] = {
        "form": form,
        "unit": unit,
        "title": _("Add a person to the planning"),
        "back": _back_to_unit(unit),
        "submit": _("Add to the planning"),
    }
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, context)
    d = form.cleaned_data
    term = next(t for t in terms if t.pk == d["term"])
    member = _visible_member(request, d["member"])
    if member is None:
        form.add_error("member", _("No member %(id)s in your scope.") % {"id": d["member"]})
        return _form_page(request, context)
    done, _confirming = _submit(
        request,
        form,
        lambda: planning_add(
            actor=request.user,
            unit=unit,
            term=term,
            position=d["position"],
            member=member,
            added_on=d["added_on"],
            document=d["document"],
            document_text=d["document_text"],
        ),
    )
    if not done:
        return _form_page(request, context)
    messages.success(request, _("%(name)s is in the planning.") % {"name": member.full_name})
    return redirect(_back_to_unit(unit))


@login_required
def planning_remove_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a person out of the planning (a dated removal with its reason; the entry
    stays); shown back for confirmation first."""
    entry: PlanningEntry | None = (
        PlanningEntry.objects.visible_to(request.user, VIEW)
        .select_related("unit", "member", "removal")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404
    unit = entry.unit
    _managing(request, unit)
    rules = cadre_rules()
    form = PlanningRemoveForm(request.POST or None, documents=_documents(request, unit))
    title = _("Take %(name)s out of the planning for %(position)s") % {
        "name": entry.member.full_name,
        "position": rules.position_label(entry.position),
    }
    context: dict[str, Any] = {
        "form": form,
        "unit": unit,
        "title": title,
        "back": _back_to_unit(unit),
        "submit": _("Continue"),
    }
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, context)
    d = form.cleaned_data
    done, confirming = _submit(
        request,
        form,
        lambda: planning_remove(
            actor=request.user,
            entry=entry,
            removed_on=d["removed_on"],
            reason=d["reason"],
            note=d["note"],
            document=d["document"],
            document_text=d["document_text"],
        ),
        confirm=True,
        fields={"entry": None},
    )
    if confirming:
        return _confirm_page(
            request,
            {
                **context,
                "question": _(
                    "%(name)s leaves the planning from %(date)s. The entry stays in the "
                    "history with the removal; it cannot be undone."
                )
                % {"name": entry.member.full_name, "date": d["removed_on"]},
                "action": _("Take out of the planning"),
            },
        )
    if not done:
        return _form_page(request, context)
    messages.success(
        request, _("%(name)s is out of the planning.") % {"name": entry.member.full_name}
    )
    return redirect(_back_to_unit(unit))


@login_required
def review_new(request: HttpRequest, code: str) -> HttpResponse:
    """Record the yearly review of the unit's planning: those taken out and those added,
    from the day of the review; shown back for confirmation first."""
    unit = _managed_unit(request, code)
    terms = _terms(request, unit)
    form = PlanningReviewForm(
        request.POST or None,
        initial={"year": timezone.localdate().year},
        terms=terms,
        documents=_documents(request, unit),
    )
    context: dict[str, Any] = {
        "form": form,
        "unit": unit,
        "title": _("Record the yearly review of the planning"),
        "back": _back_to_unit(unit),
        "submit": _("Continue"),
    }
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, context)
    d = form.cleaned_data
    term = next(t for t in terms if t.pk == d["term"])
    visible: QuerySet[PlanningEntry] = PlanningEntry.objects.visible_to(request.user, VIEW).filter(
        unit=unit
    )
    remove = []
    for r in d["remove"]:
        entry = visible.filter(pk=r.entry).first()
        if entry is None:
            form.add_error(
                "remove", _("No entry %(id)s in this unit's planning.") % {"id": r.entry}
            )
            continue
        remove.append({"entry": entry, "reason": r.reason, "note": r.note})
    add = []
    for a in d["add"]:
        member = _visible_member(request, a.member)
        if member is None:
            form.add_error("add", _("No member %(id)s in your scope.") % {"id": a.member})
            continue
        add.append({"member": member, "position": a.position})
    if form.errors:
        return _form_page(request, context)
    done, confirming = _submit(
        request,
        form,
        lambda: planning_review(
            actor=request.user,
            unit=unit,
            term=term,
            year=d["year"],
            reviewed_on=d["reviewed_on"],
            remove=remove,
            add=add,
            document=d["document"],
            document_text=d["document_text"],
        ),
        confirm=True,
        fields={
            "entry": "remove",
            "reason": "remove",
            "note": "remove",
            "member": "add",
            "position": "add",
            "nomination": "add",
        },
    )
    if confirming:
        return _confirm_page(
            request,
            {
                **context,
                "question": _(
                    "The review of %(year)d takes %(out)d people out of the planning and adds "
                    "%(in)d, from %(date)s. It cannot be undone."
                )
                % {"year": d["year"], "out": len(remove), "in": len(add), "date": d["reviewed_on"]},
                "action": _("Record the review"),
            },
        )
    if not done:
        return _form_page(request, context)
    messages.success(request, _("The review is recorded."))
    return redirect(_back_to_unit(unit))


# -- Structure per level ---------------------------------------------------------------------


@login_required
def structure_by_level(request: HttpRequest) -> HttpResponse:
    """The structure report of the planning in the user's scope per level of the units'
    kinds, with the shortfalls against the rule set's targets."""
    day = _day(request)
    rules = cadre_rules()
    known = current_ruleset().unit_kinds
    kinds: dict[int, list[str]] = {}
    for kind, level in rules.kind_levels.items():
        label = known[kind].display_label if kind in known else kind
        kinds.setdefault(level, []).append(label)
    levels = []
    for level, structure in planning_structure_by_level(request.user, day).items():
        shown = _structure(structure)
        shown["label"] = ", ".join(kinds.get(level, [])) or str(level)
        levels.append({"level": level, "structure": shown})
    return render(
        request,
        "cadres/planning/structure.html",
        {"day": day, "levels": levels, "home": _home(request)},
    )


# -- Confidence votes ------------------------------------------------------------------------


def _session_rows(sessions: list[ConfidenceSession]) -> list[dict[str, Any]]:
    """Each session with its results: the counts only, and what they mean by the rule set."""
    rules = confidence_rules()
    cadres = cadre_rules()
    labels = {"out_of_planning": _("Out of planning"), "dismissal": _("Dismissal")}
    shown = []
    for s in sessions:
        quorate = is_quorate(s.summoned, s.present, rules)
        results = []
        for r in s.results.all():
            outcome, source = confidence_outcome(r.low, s.present, rules) if quorate else ("", "")
            results.append(
                {
                    "name": r.member.full_name,
                    "position": cadres.position_label(r.position) if r.position else "",
                    "high": r.high,
                    "confidence": r.confidence,
                    "low": r.low,
                    "outcome": labels.get(outcome, outcome),
                    "severe": outcome == "dismissal",
                    "source": source,
                }
            )
        shown.append({"session": s, "quorate": quorate, "results": results})
    return shown


def _with_results(rows: QuerySet[ConfidenceSession]) -> QuerySet[ConfidenceSession]:
    return rows.prefetch_related(
        Prefetch(
            "results",
            queryset=ConfidenceResult.objects.select_related("member").order_by("id"),
        )
    )


@login_required
def confidence_list(request: HttpRequest) -> HttpResponse:
    """The confidence votes of the bodies in scope (`?unit=` narrows to a subtree), newest
    first, with the counts of each person, the outcome by the rule set, and the people the
    year's votes flag (`?year=`). Audited as a list read."""
    rows = confidence_sessions(request.user).select_related("unit")
    code = (request.GET.get("unit") or "").strip()
    unit: OrgUnit | None = None
    if code:
        unit = _unit(request, code)
        rows = rows.filter(subtree_q("unit__path", [unit.path]))
    text = (request.GET.get("year") or "").strip()
    year = int(text) if len(text) == 4 and text.isdigit() else timezone.localdate().year
    year = min(max(year, MIN_YEAR), MAX_YEAR)
    found = list(_with_results(rows.order_by("-held_on", "-id"))[:ROWS])
    flags = [
        f
        for f in confidence_flags(request.user, dt.date(year, 1, 1), dt.date(year, 12, 31))
        if unit is None or f.result.session.unit.path.startswith(unit.path)
    ]
    list_read_record(
        actor=request.user,
        name="confidence_votes",
        filters={"unit": code, "year": year},
        rows=len(found),
    )
    cadres = cadre_rules()
    return render(
        request,
        "cadres/planning/confidence_list.html",
        {
            "sessions": _session_rows(found),
            "flags": [
                {
                    "flag": f,
                    "name": f.result.member.full_name,
                    "position": cadres.position_label(f.result.position)
                    if f.result.position
                    else "",
                    "outcome": _("Dismissal") if f.outcome == "dismissal" else _("Out of planning"),
                    "severe": f.outcome == "dismissal",
                }
                for f in flags
            ],
            "unit_code": code,
            "year": year,
            "home": _home(request, unit),
            "truncated": len(found) == ROWS,
            "rules": confidence_rules(),
        },
    )


@login_required
def confidence_new(request: HttpRequest, code: str) -> HttpResponse:
    """Record a confidence vote held by the unit's body: those summoned and present, and
    per person the counts of ballots only."""
    unit = _managed_unit(request, code)
    form = ConfidenceForm(request.POST or None, documents=_documents(request, unit))
    back = reverse("cadres_planning:confidence") + f"?unit={unit.code}"
    context: dict[str, Any] = {
        "form": form,
        "unit": unit,
        "title": _("Record a confidence vote"),
        "back": back,
        "submit": _("Record the vote"),
    }
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, context)
    d = form.cleaned_data
    results = []
    for row in d["results"]:
        member = _visible_member(request, row.member)
        if member is None:
            form.add_error("results", _("No member %(id)s in your scope.") % {"id": row.member})
            continue
        results.append(
            {"member": member, "high": row.high, "confidence": row.confidence, "low": row.low}
        )
    if form.errors:
        return _form_page(request, context)
    done, _confirming = _submit(
        request,
        form,
        lambda: confidence_session_record(
            actor=request.user,
            unit=unit,
            held_on=d["held_on"],
            summoned=d["summoned"],
            present=d["present"],
            results=results,
            document=d["document"],
            document_text=d["document_text"],
        ),
    )
    if not done:
        return _form_page(request, context)
    messages.success(request, _("The confidence vote is recorded."))
    return redirect(back)


# -- Rotation --------------------------------------------------------------------------------


@login_required
def rotation_list(request: HttpRequest) -> HttpResponse:
    """The rotation plans in scope (`?unit=` narrows to a subtree), latest year first."""
    rows = rotation_plans(request.user)
    code = (request.GET.get("unit") or "").strip()
    unit: OrgUnit | None = None
    if code:
        unit = _unit(request, code)
        rows = rows.filter(subtree_q("unit__path", [unit.path]))
    found = list(rows.order_by("-year", "-decided_on", "-id")[:ROWS])
    counts: dict[int, int] = {}
    for plan_id in RotationStint.objects.filter(plan__in=found).values_list("plan_id", flat=True):
        counts[plan_id] = counts.get(plan_id, 0) + 1
    return render(
        request,
        "cadres/planning/rotation_list.html",
        {
            "plans": [{"plan": p, "stints": counts.get(p.pk, 0)} for p in found],
            "unit_code": code,
            "home": _home(request, unit),
            "truncated": len(found) == ROWS,
        },
    )


def _plan_or_404(request: HttpRequest, pk: int) -> RotationPlan:
    plan = rotation_plans(request.user).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


@login_required
def rotation_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """A rotation plan with its stints (those ended too, with their end)."""
    plan = _plan_or_404(request, pk)
    rules = cadre_rules()
    today = timezone.localdate()
    stints = rotation_stints(request.user, plan).order_by("planned_start", "id")
    return render(
        request,
        "cadres/planning/rotation_plan.html",
        {
            "plan": plan,
            "stints": [
                {
                    "stint": s,
                    "from_position": rules.position_label(s.from_position),
                    "to_position": rules.position_label(s.to_position),
                    "end": getattr(s, "end", None),
                    "running": s.planned_start <= today and getattr(s, "end", None) is None,
                }
                for s in stints
            ],
            "may_manage": can(request.user, MANAGE_CADRES, plan.unit.path),
        },
    )


@login_required
def rotation_plan_new(request: HttpRequest, code: str) -> HttpResponse:
    """Record the unit's rotation plan for a year, on its decision."""
    unit = _managed_unit(request, code)
    form = RotationPlanForm(
        request.POST or None,
        initial={"year": timezone.localdate().year},
        documents=_documents(request, unit),
    )
    context: dict[str, Any] = {
        "form": form,
        "unit": unit,
        "title": _("Record a rotation plan"),
        "back": reverse("cadres_planning:rotation"),
        "submit": _("Record the plan"),
    }
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, context)
    d = form.cleaned_data
    made: list[RotationPlan] = []

    def run() -> None:
        made.append(
            rotation_plan_record(
                actor=request.user,
                unit=unit,
                year=d["year"],
                decided_on=d["decided_on"],
                document=d["document"],
                document_text=d["document_text"],
            )
        )

    done, _confirming = _submit(request, form, run)
    if not done:
        return _form_page(request, context)
    messages.success(request, _("The rotation plan is recorded."))
    return redirect("cadres_planning:rotation_plan", pk=made[-1].pk)


@login_required
def stint_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a stint to a plan: a member rotated from the post held to an equal post
    elsewhere; the rules of the rotation refuse with their source."""
    plan = _plan_or_404(request, pk)
    _managing(request, plan.unit)
    form = StintForm(request.POST or None, rules=cadre_rules())
    back = reverse("cadres_planning:rotation_plan", kwargs={"pk": plan.pk})
    context: dict[str, Any] = {
        "form": form,
        "unit": plan.unit,
        "title": _("Add a stint to the plan of %(year)d") % {"year": plan.year},
        "back": back,
        "submit": _("Add the stint"),
    }
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, context)
    d = form.cleaned_data
    member = _visible_member(request, d["member"])
    if member is None:
        form.add_error("member", _("No member %(id)s in your scope.") % {"id": d["member"]})
    to_unit = OrgUnit.objects.visible_to(request.user, VIEW).filter(code=d["to_unit"]).first()
    if to_unit is None:
        form.add_error("to_unit", _("No unit %(code)s in your scope.") % {"code": d["to_unit"]})
    if form.errors:
        return _form_page(request, context)
    assert member is not None and to_unit is not None
    done, _confirming = _submit(
        request,
        form,
        lambda: rotation_stint_add(
            actor=request.user,
            plan=plan,
            member=member,
            to_unit=to_unit,
            to_position=d["to_position"],
            planned_start=d["planned_start"],
            planned_end=d["planned_end"],
        ),
    )
    if not done:
        return _form_page(request, context)
    messages.success(request, _("The stint is added."))
    return redirect(back)


@login_required
def stint_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a stint on its last day; shown back for confirmation first."""
    stint = rotation_stints(request.user).filter(pk=pk).first()
    if stint is None:
        raise Http404
    plan = stint.plan
    unit = OrgUnit.objects.get(pk=plan.unit_id)
    _managing(request, unit)
    form = StintEndForm(request.POST or None, documents=_documents(request, unit))
    back = reverse("cadres_planning:rotation_plan", kwargs={"pk": plan.pk})
    context: dict[str, Any] = {
        "form": form,
        "unit": unit,
        "title": _("End the stint of %(name)s") % {"name": stint.member.full_name},
        "back": back,
        "submit": _("Continue"),
    }
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, context)
    d = form.cleaned_data
    done, confirming = _submit(
        request,
        form,
        lambda: rotation_stint_end(
            actor=request.user,
            stint=stint,
            ended_on=d["ended_on"],
            note=d["note"],
            document=d["document"],
            document_text=d["document_text"],
        ),
        confirm=True,
        fields={"stint": None},
    )
    if confirming:
        return _confirm_page(
            request,
            {
                **context,
                "question": _(
                    "The stint of %(name)s ends on %(date)s. The end is kept with the stint; "
                    "it cannot be undone."
                )
                % {"name": stint.member.full_name, "date": d["ended_on"]},
                "action": _("End the stint"),
            },
        )
    if not done:
        return _form_page(request, context)
    messages.success(request, _("The stint has ended."))
    return redirect(back)
