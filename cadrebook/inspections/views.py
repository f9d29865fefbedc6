"""Pages of inspection, supervision and discipline: the worklists, the programs, the
inspections and supervisions, the disciplines and their appeals.

Confidential (issue 19, item 6): every page reads through the selectors scoped by
`view_inspections` (the inspecting body's subtree; a discipline by its subject's unit), so a
file out of the user's scope answers 404 like a missing one; every file opened is audited
(`reads.py`, `via="page"`). A write needs `inspect` (programs, inspections) or
`decide_discipline` (disciplines, appeals) on the body or subject (403 for a user who reads
the file without it), goes through its service, and comes back with the service's refusal on
the field it names; what cannot be undone (a conclusion, a discipline, an appeal's decision)
is shown back for confirmation first (`core/forms.submit`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.core.forms import Submitted, submit
from cadrebook.core.permissions import VIEW, VIEW_SENSITIVE
from cadrebook.core.scoping import scope_for, subtree_q
from cadrebook.core.views import can, get_visible_or_404
from cadrebook.inspections import discipline_rules as engine
from cadrebook.inspections import selectors, worklists
from cadrebook.inspections.choices import (
    STEP_CONCLUSION,
    STEP_DECISION,
    AppealOutcome,
    SubjectKind,
)
from cadrebook.inspections.forms import (
    AppealDecisionForm,
    AppealForm,
    ConclusionForm,
    DisciplineForm,
    FollowUpForm,
    InspectionForm,
    ProgramForm,
    ProgramItemForm,
    RecommendationForm,
    StepForm,
    SubjectForm,
)
from cadrebook.inspections.models import (
    Appeal,
    Discipline,
    Inspection,
    InspectionProgram,
    Recommendation,
)
from cadrebook.inspections.pages import (
    body_documents,
    discipline_state,
    programs_with_progress,
)
from cadrebook.inspections.permissions import DECIDE_DISCIPLINE, INSPECT, VIEW_INSPECTIONS
from cadrebook.inspections.reads import (
    discipline_read_record,
    inspection_read_record,
    list_read_record,
    program_read_record,
)
from cadrebook.inspections.rules import inspection_rules
from cadrebook.inspections.services import (
    Finding,
    TeamMember,
    appeal_decide,
    appeal_lodge,
    discipline_decide,
    inspection_add_subject,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
    program_create,
    program_item_add,
    recommendation_add,
    recommendation_follow_up,
)
from cadrebook.members.forms import SPONSOR_RE
from cadrebook.members.models import Member
from cadrebook.members.selectors import search_members
from cadrebook.orgs.models import OrgUnit

ROWS = 100  # rows of a list or a worklist on one page; a filter narrows it
LOOKUP_ROWS = 20  # members offered as a name is typed, as the sponsors' lookup offers
VIA = "page"


def _year(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _reader(request: HttpRequest) -> None:
    """A user who reads no inspection file anywhere is refused the lists (403)."""
    if request.user.is_authenticated and not _reads_any(request.user):
        raise PermissionDenied


def _reads_any(user: Any) -> bool:
    scope = scope_for(user, VIEW_INSPECTIONS)
    return scope.everything or bool(scope.paths)


def _must(request: HttpRequest, action: str, path: str) -> None:
    if not can(request.user, action, path):
        raise PermissionDenied


def _unit(request: HttpRequest, code: str) -> OrgUnit:
    """A unit the user sees (404 else)."""
    unit: OrgUnit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    return unit


def _unit_field(request: HttpRequest, form: Any, name: str) -> OrgUnit | None:
    """The unit a form names by its code in `name` (None for none); a code the user does not
    see is an error on the field, as a missing one."""
    code = (form.cleaned_data.get(name) or "").strip()
    if not code:
        return None
    unit = OrgUnit.objects.visible_to(request.user, VIEW).filter(code=code).first()
    if unit is None:
        form.add_error(name, _("No unit %(code)s in your scope.") % {"code": code})
    return unit


def _home(request: HttpRequest, action: str) -> OrgUnit | None:
    """The top unit where the user holds `action` (the body a "new" button starts from)."""
    return OrgUnit.objects.visible_to(request.user, action).order_by("depth", "path").first()


def _under(request: HttpRequest, rows: Any, field: str) -> tuple[Any, str]:
    code = (request.GET.get("unit") or "").strip()
    if code:
        unit = _unit(request, code)
        rows = rows.filter(subtree_q(field, [unit.path]))
    return rows, code


def _show(request: HttpRequest, template: str, context: dict[str, Any], form: Any) -> HttpResponse:
    status = 422 if request.method == "POST" else 200
    return render(request, template, context, status=status)


def _settled(
    request: HttpRequest,
    outcome: Submitted,
    *,
    message: str,
    to: str,
    template: str,
    context: dict[str, Any],
    pk: int | None = None,
) -> HttpResponse:
    """Where a submitted form goes: to the page `to` of `pk` (of the record the service
    wrote when None) with `message` when the service ran, else back to the form with the
    service's refusal on it."""
    if outcome.done:
        messages.success(request, message)
        return redirect(to, pk=outcome.result.pk if pk is None else pk)
    return render(request, template, context, status=outcome.status)


# -- Worklists -------------------------------------------------------------------------------


@login_required
def worklist_page(request: HttpRequest) -> HttpResponse:
    """The four worklists of the user's scope: late steps, overdue recommendations, appeals
    waiting, violations whose limitation period is near."""
    _reader(request)
    today = timezone.localdate()
    rules = inspection_rules()
    steps = list(worklists.late_steps(request.user, today)[:ROWS])
    recommendations = list(worklists.overdue_recommendations(request.user, today)[:ROWS])
    appeals = list(worklists.appeals_waiting(request.user)[:ROWS])
    near = list(worklists.limitation_near(request.user, today)[:ROWS])
    counts = {
        worklists.LATE_STEPS: len(steps),
        worklists.OVERDUE_RECOMMENDATIONS: len(recommendations),
        worklists.APPEALS_WAITING: len(appeals),
        worklists.LIMITATION_NEAR: len(near),
    }
    list_read_record(
        actor=request.user,
        name="worklists",
        filters={},
        rows=sum(counts.values()),
        counts=counts,
        via=VIA,
    )
    return render(
        request,
        "inspections/worklists.html",
        {
            "today": today,
            "rules": rules,
            "steps": [{"step": s, "label": rules.step_label(s.step)} for s in steps],
            "recommendations": recommendations,
            "appeals": [
                {"appeal": a, "form": engine.discipline_rules().form_label(a.discipline.form)}
                for a in appeals
            ],
            "near": [
                {
                    "subject": s,
                    "limitation": worklists.next_limitation(s.violation_from, today),  # type: ignore[attr-defined]
                }
                for s in near
            ],
            "window": inspection_rules().limitation_warning_days,
            "limitation_source": engine.discipline_rules().limitation_source,
        },
    )


# -- Programs --------------------------------------------------------------------------------


@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    """The programs of the bodies in scope, by body and year, "completed N of M planned"."""
    _reader(request)
    rows, code = _under(request, programs_with_progress(request.user), "path")
    year = _year(request.GET.get("year"))
    if year is not None:
        rows = rows.filter(year=year)
    rules = inspection_rules()
    found = list(rows.order_by("-year", "path", "body_kind")[:ROWS])
    list_read_record(
        actor=request.user,
        name="programs",
        filters={"unit": code, "year": year},
        rows=len(found),
        via=VIA,
    )
    return render(
        request,
        "inspections/program_list.html",
        {
            "rows": [{"program": p, "body_kind": rules.body_label(p.body_kind)} for p in found],
            "year": year,
            "unit_code": code,
            "home": _home(request, INSPECT),
            "truncated": len(found) == ROWS,
        },
    )


def _program_or_404(request: HttpRequest, pk: int) -> InspectionProgram:
    program = selectors.programs(request.user).select_related("body").filter(pk=pk).first()
    if program is None:
        raise Http404
    return program


@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    program = _program_or_404(request, pk)
    program_read_record(actor=request.user, program=program, via=VIA)
    rules = inspection_rules()
    items = program.items.select_related("subject_unit", "inspection").order_by(
        "planned_from", "id"
    )
    return render(
        request,
        "inspections/program_detail.html",
        {
            "program": program,
            "body_kind": rules.body_label(program.body_kind),
            "progress": selectors.program_progress(program),
            "items": [{"item": i, "kind": rules.kind_label(i.kind)} for i in items],
            "may_inspect": can(request.user, INSPECT, program.path),
        },
    )


@login_required
def program_new(request: HttpRequest, code: str) -> HttpResponse:
    """A body's program for a year (one per body, organ and year)."""
    body = _unit(request, code)
    _must(request, INSPECT, body.path)
    rules = inspection_rules()
    form = ProgramForm(
        request.POST or None,
        initial={"year": timezone.localdate().year},
        rules=rules,
        documents=body_documents(request.user, body),
    )
    context: dict[str, Any] = {"form": form, "body": body}
    if request.method != "POST" or not form.is_valid():
        return _show(request, "inspections/program_form.html", context, form)
    d = form.cleaned_data
    outcome = submit(
        request,
        form,
        lambda: program_create(
            actor=request.user,
            body=body,
            body_kind=d["body_kind"],
            year=d["year"],
            title=d["title"],
            document=d["document"],
        ),
        confirm=False,
    )
    return _settled(
        request,
        outcome,
        message=_("The program is recorded."),
        to="inspections:program",
        template="inspections/program_form.html",
        context=context,
    )


@login_required
def program_item_new(request: HttpRequest, pk: int) -> HttpResponse:
    program = _program_or_404(request, pk)
    _must(request, INSPECT, program.path)
    form = ProgramItemForm(request.POST or None, rules=inspection_rules())
    context: dict[str, Any] = {"form": form, "program": program}
    if request.method != "POST" or not form.is_valid():
        return _show(request, "inspections/program_item_form.html", context, form)
    subject_unit = _unit_field(request, form, "subject_unit")
    if form.errors:
        return render(request, "inspections/program_item_form.html", context, status=422)
    d = form.cleaned_data
    outcome = submit(
        request,
        form,
        lambda: program_item_add(
            actor=request.user,
            program=program,
            kind=d["kind"],
            subject_unit=subject_unit,
            subject_text=d["subject_text"],
            planned_from=d["planned_from"],
            planned_to=d["planned_to"],
        ),
        confirm=False,
    )
    return _settled(
        request,
        outcome,
        message=_("The item is planned."),
        to="inspections:program",
        template="inspections/program_item_form.html",
        context=context,
        pk=program.pk,
    )


# -- Inspections -----------------------------------------------------------------------------


@login_required
def inspection_list(request: HttpRequest) -> HttpResponse:
    """The inspections and supervisions of the bodies in scope (of a kind, a year, under a
    body), newest first."""
    _reader(request)
    rows, code = _under(request, selectors.inspections(request.user), "path")
    kind = (request.GET.get("kind") or "").strip()
    year = _year(request.GET.get("year"))
    if kind:
        rows = rows.filter(kind=kind)
    if year is not None:
        rows = rows.filter(decided_on__year=year)
    rules = inspection_rules()
    found = list(rows.select_related("body").order_by("-decided_on", "-id")[:ROWS])
    list_read_record(
        actor=request.user,
        name="inspections",
        filters={"unit": code, "kind": kind, "year": year},
        rows=len(found),
        via=VIA,
    )
    return render(
        request,
        "inspections/inspection_list.html",
        {
            "rows": [{"inspection": i, "kind": rules.kind_label(i.kind)} for i in found],
            "kinds": rules.kinds,
            "kind": kind,
            "year": year,
            "unit_code": code,
            "home": _home(request, INSPECT),
            "truncated": len(found) == ROWS,
        },
    )


def _inspection_or_404(request: HttpRequest, pk: int) -> Inspection:
    inspection = selectors.inspection_file(request.user, pk)
    if inspection is None:
        raise Http404
    return inspection


@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An inspection's file: team, subjects with their findings, period, steps with their
    dates, conclusion, recommendations with their follow-ups. Audited."""
    inspection = _inspection_or_404(request, pk)
    inspection_read_record(actor=request.user, inspection=inspection, via=VIA)
    rules = inspection_rules()
    today = timezone.localdate()
    recommendations = list(
        inspection.recommendations.select_related("owner_unit", "subject__unit", "subject__member")
        .prefetch_related("follow_ups")
        .order_by("id")
    )
    return render(
        request,
        "inspections/inspection_detail.html",
        {
            "inspection": inspection,
            "kind": rules.kind_label(inspection.kind),
            "body_kind": rules.body_label(inspection.body_kind),
            "team": list(inspection.team.select_related("member").order_by("-is_leader", "id")),
            "subjects": [
                {"subject": s, "violation": rules.violation_label(s.violation_kind)}
                for s in inspection.subjects.select_related("unit", "member").order_by("id")
            ],
            "steps": [
                {
                    "step": s,
                    "label": rules.step_label(s.step),
                    "late": s.done_on is None
                    and s.due_on is not None
                    and s.due_on < today
                    and inspection.concluded_on is None,
                }
                for s in inspection.steps.order_by("position")
            ],
            "recommendations": [
                {
                    "recommendation": r,
                    "state": selectors.recommendation_state(r, today),
                    "follow_ups": sorted(r.follow_ups.all(), key=lambda f: (f.on, f.pk)),
                }
                for r in recommendations
            ],
            "may_inspect": can(request.user, INSPECT, inspection.path),
            "is_open": inspection.concluded_on is None,
        },
    )


@login_required
def inspection_new(request: HttpRequest, code: str) -> HttpResponse:
    """Open an inspection or supervision decided by `code`'s unit."""
    body = _unit(request, code)
    _must(request, INSPECT, body.path)
    rules = inspection_rules()
    items = list(
        selectors.program_items(request.user)
        .filter(program__body=body, inspection__isnull=True)
        .select_related("subject_unit")
        .order_by("-program__year", "id")[:ROWS]
    )
    form = InspectionForm(
        request.POST or None,
        rules=rules,
        documents=body_documents(request.user, body),
        items=items,
    )
    context: dict[str, Any] = {"form": form, "body": body}
    if request.method != "POST" or not form.is_valid():
        return _show(request, "inspections/inspection_form.html", context, form)
    units: list[OrgUnit] = []
    for c in form.unit_codes():
        unit = OrgUnit.objects.visible_to(request.user, VIEW).filter(code=c).first()
        if unit is None:
            form.add_error("subject_units", _("No unit %(code)s in your scope.") % {"code": c})
        else:
            units.append(unit)
    members: list[Member] = []
    for m in form.member_ids():
        member = (
            Member.objects.visible_to(request.user, VIEW).filter(pk=int(m)).first()
            if m.isdigit() and len(m) < 18
            else None
        )
        if member is None:
            form.add_error("subject_members", _("No member %(id)s in your scope.") % {"id": m})
        else:
            members.append(member)
    if form.errors:
        return render(request, "inspections/inspection_form.html", context, status=422)
    d = form.cleaned_data
    item = next((i for i in items if i.pk == d["program_item"]), None)
    team = [TeamMember(name=n, is_leader=i == 0) for i, n in enumerate(form.team_names())]
    outcome = submit(
        request,
        form,
        lambda: inspection_open(
            actor=request.user,
            code=d["code"],
            body=body,
            body_kind=d["body_kind"],
            kind=d["kind"],
            decided_on=d["decided_on"],
            document=d["document"],
            period_from=d["period_from"],
            period_to=d["period_to"],
            program_item=item,
            team=team,
            subject_units=units,
            subject_members=members,
        ),
        confirm=False,
        fields={"team": "team", "subject_units": "subject_units", "program_item": "program_item"},
    )
    return _settled(
        request,
        outcome,
        message=_("The inspection is open."),
        to="inspections:inspection",
        template="inspections/inspection_form.html",
        context=context,
    )


def _open_to_record(request: HttpRequest, pk: int) -> Inspection:
    inspection = _inspection_or_404(request, pk)
    _must(request, INSPECT, inspection.path)
    return inspection


def _in_remit(request: HttpRequest, inspection: Inspection) -> Any:
    """The members the user sees in the subtree of the inspection's body (those it may
    inspect)."""
    return Member.objects.visible_to(request.user, VIEW).filter(
        subtree_q("unit__path", [inspection.path])
    )


def _subject_member(request: HttpRequest, form: Any, inspection: Inspection) -> Member | None:
    """The member the form's `member` names: one picked in the list ("Name (#id)"), else
    the member with that external id, else the one member of the body's subtree whose name
    matches; a member the user does not see is an error on the field, as a missing one.
    Whether the member is in the body's remit is the service's check."""
    text = (form.cleaned_data.get("member") or "").strip()
    if not text:
        return None
    visible: Any = Member.objects.visible_to(request.user, VIEW).select_related("unit")
    picked = SPONSOR_RE.search(text)
    if picked and len(picked.group(1)) < 18:
        member: Member | None = visible.filter(pk=int(picked.group(1))).first()
    else:
        member = visible.filter(external_id=text).first()
    if member is None and not picked:
        named = list(
            search_members(
                _in_remit(request, inspection).select_related("unit"),
                text,
                id_scope=scope_for(request.user, VIEW_SENSITIVE),
            )[:2]
        )
        if len(named) > 1:
            form.add_error("member", _("Choose a member from the list that appears as you type."))
            return None
        member = named[0] if named else None
    if member is None:
        form.add_error("member", _("No member %(id)s in your scope.") % {"id": text})
    return member


@login_required
def subject_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a subject to an open inspection: a unit below its body, or a member of its
    subtree. The service refuses, on the field: out of the body's remit, a subject twice, a
    member of the team, an inspection concluded."""
    inspection = _open_to_record(request, pk)
    form = SubjectForm(
        request.POST or None,
        member_lookup=reverse("inspections:subject_lookup", args=[inspection.pk]),
    )
    context: dict[str, Any] = {"form": form, "inspection": inspection}
    if request.method != "POST" or not form.is_valid():
        return _show(request, "inspections/subject_form.html", context, form)
    unit = _unit_field(request, form, "unit")
    member = _subject_member(request, form, inspection)
    if form.errors:
        return render(request, "inspections/subject_form.html", context, status=422)
    outcome = submit(
        request,
        form,
        lambda: inspection_add_subject(
            actor=request.user, inspection=inspection, unit=unit, member=member
        ),
        confirm=False,
    )
    return _settled(
        request,
        outcome,
        message=_("The subject is added."),
        to="inspections:inspection",
        template="inspections/subject_form.html",
        context=context,
        pk=inspection.pk,
    )


@login_required
def subject_lookup(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx fragment: <option>s of the members of the inspection's body's subtree the user
    sees whose name matches what was typed, as "Name (#id)" with their cell."""
    inspection = _open_to_record(request, pk)
    text = SPONSOR_RE.sub("", (request.GET.get("member") or "").strip()).strip(" (")
    found: list[Member] = []
    if len(text) >= 2:
        found = list(
            search_members(
                _in_remit(request, inspection).select_related("unit"),
                text,
                id_scope=scope_for(request.user, VIEW_SENSITIVE),
            )[:LOOKUP_ROWS]
        )
    return render(request, "members/_sponsor_options.html", {"members": found})


@login_required
def inspection_step(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a step of an open inspection done (the decision and the conclusion are
    recorded by opening and concluding it)."""
    inspection = _open_to_record(request, pk)
    rules = inspection_rules()
    done = set(inspection.steps.filter(done_on__isnull=False).values_list("step", flat=True))
    steps = [
        (s.code, s.display_label)
        for s in rules.steps
        if s.code not in (STEP_DECISION, STEP_CONCLUSION) and s.code not in done
    ]
    form = StepForm(request.POST or None, steps=steps)
    context: dict[str, Any] = {"form": form, "inspection": inspection}
    if request.method != "POST" or not form.is_valid():
        return _show(request, "inspections/step_form.html", context, form)
    d = form.cleaned_data
    outcome = submit(
        request,
        form,
        lambda: inspection_record_step(
            actor=request.user,
            inspection=inspection,
            step=d["step"],
            done_on=d["done_on"],
            note=d["note"],
        ),
        confirm=False,
    )
    return _settled(
        request,
        outcome,
        message=_("The step is recorded."),
        to="inspections:inspection",
        template="inspections/step_form.html",
        context=context,
        pk=inspection.pk,
    )


@login_required
def inspection_conclusion(request: HttpRequest, pk: int) -> HttpResponse:
    """Conclude an inspection with its findings per subject; shown back for confirmation
    first (a conclusion is not undone)."""
    inspection = _open_to_record(request, pk)
    subjects = list(inspection.subjects.select_related("unit", "member").order_by("id"))
    form = ConclusionForm(
        request.POST or None,
        rules=inspection_rules(),
        documents=body_documents(request.user, inspection.body),
        subjects=subjects,
    )
    context: dict[str, Any] = {"form": form, "inspection": inspection}
    if request.method != "POST" or not form.is_valid():
        return _show(request, "inspections/conclusion_form.html", context, form)
    d = form.cleaned_data
    findings = [
        Finding(subject=s, violation_found=found, violation_kind=kind, text=text)
        for s, found, kind, text in form.findings()
    ]
    outcome = submit(
        request,
        form,
        lambda: inspection_conclude(
            actor=request.user,
            inspection=inspection,
            concluded_on=d["concluded_on"],
            findings=findings,
            document=d["document"],
            summary=d["summary"],
        ),
        touched=(inspection,),
    )
    if outcome.confirming:
        return render(
            request,
            "inspections/confirm.html",
            {
                **context,
                "title": _("Conclude the inspection"),
                "question": _("The conclusion and its findings cannot be changed once recorded."),
                "action": _("Record the conclusion"),
            },
        )
    return _settled(
        request,
        outcome,
        message=_("The inspection is concluded."),
        to="inspections:inspection",
        template="inspections/conclusion_form.html",
        context=context,
        pk=inspection.pk,
    )


@login_required
def recommendation_new(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _open_to_record(request, pk)
    subjects = list(inspection.subjects.select_related("unit", "member").order_by("id"))
    form = RecommendationForm(request.POST or None, subjects=subjects)
    context: dict[str, Any] = {"form": form, "inspection": inspection}
    if request.method != "POST" or not form.is_valid():
        return _show(request, "inspections/recommendation_form.html", context, form)
    owner = _unit_field(request, form, "owner_unit")
    if form.errors:
        return render(request, "inspections/recommendation_form.html", context, status=422)
    d = form.cleaned_data
    subject = next((s for s in subjects if s.pk == d["subject"]), None)
    outcome = submit(
        request,
        form,
        lambda: recommendation_add(
            actor=request.user,
            inspection=inspection,
            text=d["text"],
            subject=subject,
            owner_unit=owner,
            owner_text=d["owner_text"],
            deadline=d["deadline"],
        ),
        confirm=False,
    )
    return _settled(
        request,
        outcome,
        message=_("The recommendation is recorded."),
        to="inspections:inspection",
        template="inspections/recommendation_form.html",
        context=context,
        pk=inspection.pk,
    )


@login_required
def follow_up_new(request: HttpRequest, pk: int) -> HttpResponse:
    recommendation: Recommendation | None = (
        selectors.recommendations(request.user).select_related("inspection").filter(pk=pk).first()
    )
    if recommendation is None:
        raise Http404
    _must(request, INSPECT, recommendation.path)
    form = FollowUpForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "recommendation": recommendation}
    if request.method != "POST" or not form.is_valid():
        return _show(request, "inspections/follow_up_form.html", context, form)
    d = form.cleaned_data
    outcome = submit(
        request,
        form,
        lambda: recommendation_follow_up(
            actor=request.user,
            recommendation=recommendation,
            on=d["on"],
            status=d["status"],
            note=d["note"],
        ),
        confirm=False,
    )
    return _settled(
        request,
        outcome,
        message=_("The follow-up is recorded."),
        to="inspections:inspection",
        template="inspections/follow_up_form.html",
        context=context,
        pk=recommendation.inspection_id,
    )


# -- Disciplines -----------------------------------------------------------------------------


@login_required
def discipline_list(request: HttpRequest) -> HttpResponse:
    """The disciplines of subjects in scope (of a form, a kind of subject, a year)."""
    _reader(request)
    rows, code = _under(request, selectors.disciplines(request.user), "subject_path")
    form = (request.GET.get("form") or "").strip()
    subject_kind = (request.GET.get("subject_kind") or "").strip()
    year = _year(request.GET.get("year"))
    if form:
        rows = rows.filter(form=form)
    if subject_kind in SubjectKind.values:
        rows = rows.filter(subject_kind=subject_kind)
    if year is not None:
        rows = rows.filter(decided_on__year=year)
    rules = engine.discipline_rules()
    today = timezone.localdate()
    found = list(
        rows.select_related("member", "unit", "body").order_by("-decided_on", "-id")[:ROWS]
    )
    known = selectors.standings(found)  # each row's lapse, read once for the page
    list_read_record(
        actor=request.user,
        name="disciplines",
        filters={"unit": code, "form": form, "subject_kind": subject_kind, "year": year},
        rows=len(found),
        via=VIA,
    )
    return render(
        request,
        "inspections/discipline_list.html",
        {
            "rows": [
                {
                    "discipline": d,
                    "form": rules.form_label(d.form),
                    "state": discipline_state(d, today, known.get(d.pk)),
                }
                for d in found
            ],
            "forms": rules.forms,
            "form": form,
            "subject_kinds": SubjectKind.choices,
            "subject_kind": subject_kind,
            "year": year,
            "unit_code": code,
            "home": _home(request, DECIDE_DISCIPLINE),
            "truncated": len(found) == ROWS,
        },
    )


def _discipline_or_404(request: HttpRequest, pk: int) -> Discipline:
    d: Discipline | None = (
        selectors.disciplines(request.user)
        .select_related("member__unit", "unit", "body", "document", "annulled_by")
        .filter(pk=pk)
        .first()
    )
    if d is None:
        raise Http404
    return d


@login_required
def discipline_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A discipline's file: form, body, votes, violation, document, state on this day (in
    force, lapsed, annulled, changed), the day it lapses, its bans, its appeals. Audited."""
    d = _discipline_or_404(request, pk)
    discipline_read_record(actor=request.user, discipline=d, via=VIA)
    rules = engine.discipline_rules()
    irules = inspection_rules()
    appeals = list(d.appeals.select_related("body").order_by("id"))
    return render(
        request,
        "inspections/discipline_detail.html",
        {
            "discipline": d,
            "form": rules.form_label(d.form),
            "body_kind": irules.body_label(d.body_kind),
            "violation_kind": irules.violation_label(d.violation_kind) if d.violation_kind else "",
            "state": discipline_state(d, timezone.localdate()),
            "votes": [
                {"label": rules.form_label(k) if k != "none" else _("No discipline"), "count": v}
                for k, v in (d.votes or {}).items()
            ],
            "appeals": [
                {
                    "appeal": a,
                    "new_form": rules.form_label(a.new_form) if a.new_form else "",
                    "body_kind": irules.body_label(a.body_kind),
                }
                for a in appeals
            ],
            "may_decide": can(request.user, DECIDE_DISCIPLINE, d.current_subject_path),
            "pending": any(a.outcome == AppealOutcome.PENDING for a in appeals),
        },
    )


@login_required
def discipline_new(request: HttpRequest, code: str) -> HttpResponse:
    """Record a discipline decided by `code`'s unit; shown back for confirmation first (an
    expulsion ends the membership in the same transaction)."""
    body = _unit(request, code)
    if scope_for(request.user, DECIDE_DISCIPLINE).nothing:
        raise PermissionDenied  # who records no discipline anywhere
    rules = engine.discipline_rules()
    form = DisciplineForm(
        request.POST or None,
        initial=request.GET.dict(),
        rules=rules,
        inspection_rules=inspection_rules(),
        documents=body_documents(request.user, body),
    )
    context: dict[str, Any] = {"form": form, "body": body, "rules": rules}
    if request.method != "POST" or not form.is_valid():
        return _show(request, "inspections/discipline_form.html", context, form)
    d = form.cleaned_data
    member: Member | None = None
    unit: OrgUnit | None = None
    if d["subject_kind"] == SubjectKind.MEMBER:
        if d["member"] is None:
            form.add_error("member", _("Give the member's number."))
        else:
            member = (
                Member.objects.visible_to(request.user, VIEW)
                .select_related("unit")
                .filter(pk=d["member"])
                .first()
            )
            if member is None:
                form.add_error("member", _("No member %(id)s in your scope.") % {"id": d["member"]})
    else:
        unit = _unit_field(request, form, "unit")
        if unit is None and not form.errors:
            form.add_error("unit", _("Give the organization's unit code."))
    members_to = _unit_field(request, form, "members_to")
    if form.errors:
        return render(request, "inspections/discipline_form.html", context, status=422)
    subject_path = member.unit.path if member is not None else unit.path  # type: ignore[union-attr]
    _must(request, DECIDE_DISCIPLINE, subject_path)
    child = d["youngest_child_born_on"]

    def run() -> Discipline:
        return discipline_decide(
            actor=request.user,
            subject_kind=d["subject_kind"],
            member=member,
            unit=unit,
            form=d["form"],
            body=body,
            body_kind=d["body_kind"],
            decided_on=d["decided_on"],
            document=d["document"],
            document_text=d["document_text"],
            violation=d["violation"],
            violation_kind=d["violation_kind"],
            violation_on=d["violation_on"],
            duty_related=d["duty_related"],
            votes=form.votes(),
            voters_total=d["voters_total"],
            proposing_for=d["proposing_for"],
            proposing_total=d["proposing_total"],
            holds_post=d["holds_post"],
            youngest_child_born_on=child,
            members_to=members_to,
        )

    outcome = submit(request, form, run)
    if outcome.confirming:
        return render(
            request,
            "inspections/confirm.html",
            {
                **context,
                "title": _("Record the discipline"),
                "question": _(
                    "%(form)s on %(subject)s: the decision and its consequences are recorded at once."
                )
                % {"form": rules.form_label(d["form"]), "subject": member or unit},
                "action": _("Record the discipline"),
            },
        )
    return _settled(
        request,
        outcome,
        message=_("The discipline is recorded."),
        to="inspections:discipline",
        template="inspections/discipline_form.html",
        context=context,
    )


@login_required
def appeal_new(request: HttpRequest, pk: int) -> HttpResponse:
    discipline = _discipline_or_404(request, pk)
    _must(request, DECIDE_DISCIPLINE, discipline.current_subject_path)
    form = AppealForm(request.POST or None, inspection_rules=inspection_rules())
    context: dict[str, Any] = {"form": form, "discipline": discipline}
    if request.method != "POST" or not form.is_valid():
        return _show(request, "inspections/appeal_form.html", context, form)
    # The body deciding an appeal stands above the one that decided: a unit the user sees,
    # or one of the deciding body's ancestors (the province above a commune's inspector).
    code = form.cleaned_data["body"].strip()
    body = OrgUnit.objects.filter(code=code).first()
    if body is None or not (
        discipline.path.startswith(body.path) or can(request.user, VIEW, body.path)
    ):
        form.add_error("body", _("No unit %(code)s in your scope.") % {"code": code})
    if form.errors or body is None:
        return render(request, "inspections/appeal_form.html", context, status=422)
    d = form.cleaned_data
    outcome = submit(
        request,
        form,
        lambda: appeal_lodge(
            actor=request.user,
            discipline=discipline,
            lodged_on=d["lodged_on"],
            received_on=d["received_on"],
            body=body,
            body_kind=d["body_kind"],
            document_text=d["document_text"],
        ),
        confirm=False,
    )
    return _settled(
        request,
        outcome,
        message=_("The appeal is recorded."),
        to="inspections:discipline",
        template="inspections/appeal_form.html",
        context=context,
        pk=discipline.pk,
    )


@login_required
def appeal_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """Decide a pending appeal (upheld, changed, annulled); shown back for confirmation
    first (an annulled expulsion restores the membership)."""
    appeal: Appeal | None = (
        selectors.appeals(request.user)
        .select_related("discipline__member__unit", "discipline__unit", "body")
        .filter(pk=pk)
        .first()
    )
    if appeal is None:
        raise Http404
    discipline = appeal.discipline
    _must(request, DECIDE_DISCIPLINE, discipline.current_subject_path)
    rules = engine.discipline_rules()
    form = AppealDecisionForm(
        request.POST or None, rules=rules, documents=body_documents(request.user, appeal.body)
    )
    context: dict[str, Any] = {"form": form, "appeal": appeal, "discipline": discipline}
    if request.method != "POST" or not form.is_valid():
        return _show(request, "inspections/appeal_decision_form.html", context, form)
    d = form.cleaned_data
    outcome = submit(
        request,
        form,
        lambda: appeal_decide(
            actor=request.user,
            appeal=appeal,
            decided_on=d["decided_on"],
            outcome=d["outcome"],
            new_form=d["new_form"],
            document=d["document"],
            document_text=d["document_text"],
            votes=form.votes(),
            voters_total=d["voters_total"],
        ),
    )
    if outcome.confirming:
        return render(
            request,
            "inspections/confirm.html",
            {
                **context,
                "title": _("Decide the appeal"),
                "question": _("The decision on the appeal is recorded with its consequences."),
                "action": _("Record the decision"),
            },
        )
    return _settled(
        request,
        outcome,
        message=_("The appeal is decided."),
        to="inspections:discipline",
        template="inspections/appeal_decision_form.html",
        context=context,
        pk=discipline.pk,
    )
