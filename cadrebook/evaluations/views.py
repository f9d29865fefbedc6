"""Target pages: the targets in the user's scope with what was achieved, and setting one.

The small example of a page in the house shape: reads through a scoped selector (404 outside
the scope, like a unit that does not exist), the write through the service, its refusal on
the field, a confirmation step before a value is replaced."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from cadrebook.core.dates import MAX_YEAR, MIN_YEAR
from cadrebook.core.errors import ServiceError
from cadrebook.core.forms import add_refusal, submit
from cadrebook.core.permissions import VIEW
from cadrebook.core.scoping import PATH_END
from cadrebook.core.views import can, get_visible_or_404
from cadrebook.evaluations import services as ev
from cadrebook.evaluations.choices import Level, RoundStatus
from cadrebook.evaluations.forms import (
    CloseForm,
    DecisionForm,
    MarkForm,
    ModelStepForm,
    OutstandingForm,
    ProposalForm,
    ReconsiderForm,
    RoundOpenForm,
    SelfAssessmentForm,
    TargetForm,
    TimetableForm,
)
from cadrebook.evaluations.models import Round, Subject, Target
from cadrebook.evaluations.pages import (
    decided_without_steps,
    deciding_units,
    document_choices,
    late_steps,
    model_document_choices,
    model_table,
    progress_in_reach,
    quota_rows,
    quota_view,
    readable_among,
    rounds_in_reach,
    rules_of,
    special_cases,
    subject_history,
    worklist,
)
from cadrebook.evaluations.permissions import DECIDE_EVALUATIONS, EVALUATE
from cadrebook.evaluations.rules import ENFORCE_REFUSE, EvaluationRules, evaluation_rules
from cadrebook.evaluations.selectors import (
    STATE_AWAITING_DECISION,
    STATE_DECIDED,
    STATE_EXCLUDED,
    STATE_NO_PROPOSAL,
    STATE_NOT_ASSESSED,
    STATES,
    decision_caps,
    discipline_disqualifiers,
    expected_level,
    fact_disqualifiers,
    missing_steps,
    opening_preview,
    quota_status,
    round_progress,
    step_names,
    target_progress,
    visible_targets,
)
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.permissions import MANAGE_UNITS
from cadrebook.orgs.selectors import breadcrumb

# The steps of a subject, as the round's page lists the late ones.
STEP_LABELS = {
    "self_assessment": _lazy("Self-assessment"),
    "proposal": _lazy("The cell's proposal"),
    "decision": _lazy("Decision"),
}

# More rows than this on one page are a report's job (the XLSX of the annual report).
MAX_ROWS = 200


def _year(value: str | None) -> int | None:
    """The year of `?year=`, or None (every year) when none or no number is given."""
    try:
        return int((value or "").strip())
    except ValueError:
        return None


@login_required
def target_list(request: HttpRequest) -> HttpResponse:
    """The targets of the units in the user's scope: unit, year, indicator, target, achieved
    and %; the units the user may change can have a target set."""
    year = _year(request.GET.get("year"))
    targets = list(visible_targets(request.user, year=year)[:MAX_ROWS])
    home = OrgUnit.objects.visible_to(request.user, MANAGE_UNITS).order_by("depth", "path").first()
    return render(
        request,
        "evaluations/target_list.html",
        {
            "rows": target_progress(targets),
            "year": year,
            "years": range(timezone.localdate().year + 1, timezone.localdate().year - 10, -1),
            "home": home,
            "truncated": len(targets) == MAX_ROWS,
        },
    )


@login_required
def target_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Set or revise a target of a unit. Replacing a value asks for confirmation first, once
    the service would accept the new one (`core/forms.submit`); a value someone else changed
    between the question and the answer is asked about again."""
    unit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    if not can(request.user, MANAGE_UNITS, unit.path):
        raise PermissionDenied
    form = TargetForm(request.POST or None, initial=request.GET.dict())
    context: dict[str, Any] = {"form": form, "unit": unit}
    if request.method != "POST" or not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(request, "evaluations/target_form.html", context, status=status)
    data = form.cleaned_data
    current = (
        Target.objects.filter(unit=unit, year=data["year"], indicator=data["indicator"])
        .values_list("target", flat=True)
        .first()
    )
    # The confirmation names the value it replaces: confirmed only if that is still the value.
    still = request.POST.get("replacing") == str(current)
    outcome = submit(
        request,
        form,
        lambda: ev.target_set(
            actor=request.user,
            unit=unit,
            year=data["year"],
            indicator=data["indicator"],
            target=data["target"],
        ),
        confirm=current not in (None, data["target"]),
        confirmed=request.POST.get("confirmed") == "yes" and still,
    )
    if outcome.done:
        return redirect(reverse("evaluations:targets") + f"?year={data['year']}")
    if outcome.confirming:
        context["current"] = current
        return render(request, "evaluations/target_confirm.html", context)
    return render(request, "evaluations/target_form.html", context, status=outcome.status)


# -- The evaluation ----------------------------------------------------------------------------
# Rounds and their subjects. Reads through `pages.py` (a round in the user's reach, the part of
# it in their scope; anything else 404); every write through its service, asked first when the
# page confirms (`core/forms.submit`), its refusal on the field it names; the action each
# step needs: `change` on the unit that does the step (the round's opener for opening,
# closing and marking a unit outstanding; the cell for the self-assessment and the proposal;
# the deciding unit for the decision and the reconsideration).

ROUND_ROWS = 50  # rounds on the list; a year or a kind narrows it
WORKLIST_ROWS = 200  # subjects on one worklist; a cell or committee below narrows it
# Where the services name fields the forms do not have: the whole form's error.
STEP_FIELDS: dict[str, str | None] = {
    "round": None,
    "subject": None,
    "scores": None,
    "deciding_unit": None,
}


def _round_or_404(request: HttpRequest, pk: int) -> Round:
    try:
        return rounds_in_reach(request.user).get(pk=pk)
    except Round.DoesNotExist:
        raise Http404 from None


def _subject_or_404(request: HttpRequest, pk: int) -> Subject:
    subjects = Subject.objects.select_related(
        "round__unit", "member", "unit", "home", "deciding_unit", "host_unit", "leads"
    )
    subject: Subject = get_visible_or_404(subjects, request.user, pk=pk)
    return subject


def _under(request: HttpRequest, round_: Round) -> OrgUnit | None:
    """The cell or committee below the round that `?unit=` narrows its page to (a unit the
    user sees inside the round's subtree; anything else 404)."""
    code = (request.GET.get("unit") or "").strip()
    if not code:
        return None
    unit: OrgUnit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    if not (round_.unit.path <= unit.path < round_.unit.path + PATH_END):
        raise Http404
    return unit


def _level_label(rules: EvaluationRules, code: str | None) -> str:
    """A level as the rule set names it in the page's language; "—" for none."""
    return rules.level_label(code) if code in Level.values else "—"


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    """The rounds in the user's reach (by year, kind, opening unit, status), each with its
    progress in the user's part of it."""
    rounds = rounds_in_reach(request.user)
    year = _year(request.GET.get("year"))
    kind = (request.GET.get("kind") or "").strip()
    status = (request.GET.get("status") or "").strip()
    code = (request.GET.get("unit") or "").strip()
    if year is not None:
        rounds = rounds.filter(year=year)
    if kind:
        rounds = rounds.filter(kind=kind)
    if status in RoundStatus.values:
        rounds = rounds.filter(status=status)
    if code:
        rounds = rounds.filter(unit__code=code)
    found = list(rounds.order_by("-year", "unit__path", "kind", "-id")[:ROUND_ROWS])
    rules = evaluation_rules()
    kinds = {k.code: k.display_label for k in rules.round_kinds}
    home = (
        OrgUnit.objects.visible_to(request.user, DECIDE_EVALUATIONS)
        .order_by("depth", "path")
        .first()
    )
    return render(
        request,
        "evaluations/round_list.html",
        {
            "rows": [
                {
                    "round": r,
                    "kind": kinds.get(r.kind, r.kind),
                    "progress": progress_in_reach(request.user, r),
                }
                for r in found
            ],
            "year": year,
            "kind": kind,
            "status": status,
            "unit_code": code,
            "kinds": rules.round_kinds,
            "statuses": RoundStatus.choices,
            "years": range(timezone.localdate().year + 1, timezone.localdate().year - 10, -1),
            "home": home,
            "truncated": len(found) == ROUND_ROWS,
        },
    )


@login_required
def round_open(request: HttpRequest, code: str) -> HttpResponse:
    """Open a round by a committee: its kind, year, reference date and timetable; the answers
    are checked by the service's preview (the same refusals, writing nothing) and shown back
    with the count of subjects the round would list, counted by the database, before it is
    opened."""
    unit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    if not can(request.user, DECIDE_EVALUATIONS, unit.path):
        raise PermissionDenied
    rules = evaluation_rules()
    today = timezone.localdate()
    initial = {"year": today.year, "kind": rules.round_kinds[0].code if rules.round_kinds else ""}
    form = RoundOpenForm(request.POST or None, initial=initial, rules=rules)
    context: dict[str, Any] = {"form": form, "unit": unit, "crumbs": breadcrumb(unit, request.user)}
    if request.method != "POST" or not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(request, "evaluations/round_open.html", context, status=status)
    data = form.cleaned_data

    answers = {
        name: data[name]
        for name in (
            "kind",
            "year",
            "reference_date",
            "self_assessment_until",
            "proposals_until",
            "decisions_until",
        )
    }

    def run() -> Round:
        return ev.round_open(actor=request.user, unit=unit, **answers)

    if request.POST.get("confirmed") != "yes":
        try:
            context["preview"] = opening_preview(unit=unit, **answers)
        except ServiceError as exc:
            add_refusal(form, exc)
            return render(request, "evaluations/round_open.html", context, status=422)
        context["kind_label"] = rules.round_kind_label(data["kind"])
        return render(request, "evaluations/round_open_confirm.html", context)
    outcome = submit(request, form, run, confirm=False)
    if outcome.done:
        messages.success(request, _("The round is open."))
        return redirect("evaluations:round", pk=outcome.result.pk)
    return render(request, "evaluations/round_open.html", context, status=outcome.status)


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A round: its timetable, the progress counts and the worklists per state (the members
    not rated listed with their reason), the special cases, the quota; narrowed to a cell or
    committee below (`?unit=`)."""
    round_ = _round_or_404(request, pk)
    under = _under(request, round_)
    state = request.GET.get("state") or STATE_NOT_ASSESSED
    if state not in STATES:
        state = STATE_NOT_ASSESSED
    rules = rules_of(round_)
    subjects = list(worklist(request.user, round_, state=state, under=under)[:WORKLIST_ROWS])
    quota = (
        quota_status(round_, under=under)
        if under is not None or can(request.user, VIEW, round_.unit.path)
        else [
            row for unit in deciding_units(request.user, round_) for row in quota_rows(round_, unit)
        ]
    )
    may_run = can(request.user, DECIDE_EVALUATIONS, round_.unit.path)
    return render(
        request,
        "evaluations/round_detail.html",
        {
            "round": round_,
            "kind": rules.round_kind_label(round_.kind),
            "rules": rules,
            "under": under,
            "crumbs": breadcrumb(round_.unit, request.user),
            "progress": progress_in_reach(request.user, round_, under=under),
            "state": state,
            "states": [
                (STATE_NOT_ASSESSED, _("Not self-assessed")),
                (STATE_NO_PROPOSAL, _("No proposal")),
                (STATE_AWAITING_DECISION, _("Awaiting decision")),
                (STATE_DECIDED, _("Decided")),
                (STATE_EXCLUDED, _("Not rated")),
            ],
            "subjects": [
                {
                    "subject": s,
                    "assessed": None
                    if s.assessed_score is None
                    else Decimal(s.assessed_score).quantize(Decimal("0.01")),
                    "proposed": _level_label(rules, s.proposed_level) if s.proposed_level else "",
                    "decided": _level_label(rules, s.decided_level) if s.decided_level else "",
                }
                for s in subjects
            ],
            "truncated": len(subjects) == WORKLIST_ROWS,
            "special": list(special_cases(request.user, round_, under=under)[:WORKLIST_ROWS]),
            "quota": quota,
            "quota_source": rules.quota_source,
            "outstanding": round_.outstanding.select_related("unit").order_by("unit__path"),
            "may_run": may_run and round_.is_open,
            "late": late_steps(request.user, round_, under=under),
            "without_steps": decided_without_steps(request.user, round_, under=under),
            "steps_source": rules.steps_source,
            "step_labels": STEP_LABELS,
            "timetable_changes": list(
                round_.timetable_changes.select_related("recorded_by").order_by("-id")
            ),
            "timetable_source": rules.timetable_source,
            "timetable_refuses": rules.timetable_enforcement == ENFORCE_REFUSE,
        },
    )


@login_required
def round_timetable(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the round's timetable (the committee that opened it): the new dates and the
    reason; the earlier dates stay listed on the round's page."""
    round_ = _round_or_404(request, pk)
    if not can(request.user, DECIDE_EVALUATIONS, round_.unit.path):
        raise PermissionDenied
    initial = {
        "self_assessment_until": round_.self_assessment_until,
        "proposals_until": round_.proposals_until,
        "decisions_until": round_.decisions_until,
    }
    form = TimetableForm(request.POST or None, initial=initial)
    context: dict[str, Any] = {
        "form": form,
        "round": round_,
        "crumbs": breadcrumb(round_.unit, request.user),
    }
    if request.method != "POST" or not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(request, "evaluations/round_timetable.html", context, status=status)
    data = form.cleaned_data
    outcome = submit(
        request,
        form,
        lambda: ev.round_reschedule(
            actor=request.user,
            round=round_,
            self_assessment_until=data["self_assessment_until"],
            proposals_until=data["proposals_until"],
            decisions_until=data["decisions_until"],
            reason=data["reason"],
        ),
        confirm=False,
        fields=STEP_FIELDS,
    )
    if outcome.done:
        messages.success(request, _("The timetable is changed."))
        return redirect("evaluations:round", pk=round_.pk)
    round_.refresh_from_db()
    return render(request, "evaluations/round_timetable.html", context, status=outcome.status)


@login_required
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the round: the page is the confirmation (its progress shown); the service refuses
    while subjects remain undecided, and the refusal is shown with nothing written."""
    round_ = _round_or_404(request, pk)
    if not can(request.user, DECIDE_EVALUATIONS, round_.unit.path):
        raise PermissionDenied
    form = CloseForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {
        "form": form,
        "round": round_,
        "crumbs": breadcrumb(round_.unit, request.user),
        "progress": round_progress(round_),
    }
    if request.method != "POST":
        return render(request, "evaluations/round_close.html", context)
    form.is_valid()
    outcome = submit(
        request,
        form,
        lambda: ev.round_close(actor=request.user, round=round_),
        confirm=False,
        touched=(round_,),
        fields=STEP_FIELDS,
    )
    if outcome.done:
        messages.success(request, _("The round is closed."))
        return redirect("evaluations:round", pk=round_.pk)
    round_.refresh_from_db()
    return render(request, "evaluations/round_close.html", context, status=outcome.status)


@login_required
def round_outstanding(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a deciding unit of the round outstanding: its quota of "excellent" is the rule
    set's larger share."""
    round_ = _round_or_404(request, pk)
    if not can(request.user, DECIDE_EVALUATIONS, round_.unit.path):
        raise PermissionDenied
    units = deciding_units(request.user, round_)
    form = OutstandingForm(request.POST or None, units=units)
    context: dict[str, Any] = {
        "form": form,
        "round": round_,
        "crumbs": breadcrumb(round_.unit, request.user),
    }
    if request.method != "POST" or not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(request, "evaluations/round_outstanding.html", context, status=status)
    unit = next(u for u in units if u.code == form.cleaned_data["unit"])
    outcome = submit(
        request,
        form,
        lambda: ev.round_mark_outstanding(actor=request.user, round=round_, unit=unit),
        confirm=False,
        fields=STEP_FIELDS,
    )
    if outcome.done:
        messages.success(request, _("%(unit)s is marked outstanding.") % {"unit": unit.name})
        return redirect("evaluations:round", pk=round_.pk)
    return render(request, "evaluations/round_outstanding.html", context, status=outcome.status)


def _subject_context(request: HttpRequest, subject: Subject) -> dict[str, Any]:
    round_ = subject.round
    rules = rules_of(round_)
    framework = rules.frameworks.get(subject.framework)
    history = subject_history(subject)
    return {
        "subject": subject,
        "round": round_,
        "crumbs": breadcrumb(subject.home, request.user),
        "framework": framework,
        "rules": rules,
        "groups": {g.code: g.display_label for g in framework.groups} if framework else {},
        **history,
        "latest_assessment": history["assessments"][0] if history["assessments"] else None,
        "latest_proposal": history["proposals"][0] if history["proposals"] else None,
        "latest_decision": history["decisions"][0] if history["decisions"] else None,
        "readable_documents": readable_among(request.user, history["decisions"]),
        "quota": quota_view(subject),
        "may_assess": can(request.user, EVALUATE, subject.home.path),
        "may_decide": can(request.user, DECIDE_EVALUATIONS, subject.deciding_unit.path),
        "may_mark": round_.is_open
        and can(request.user, DECIDE_EVALUATIONS, subject.deciding_unit.path)
        and not history["decisions"],
        "disqualifier_labels": {d.code: d for d in rules.disqualifiers.get(subject.framework, ())},
    }


@login_required
def subject_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A subject of a round: who, where rated, who decides, its special case or why it is not
    rated, and its self-assessments, proposals and decisions."""
    subject = _subject_or_404(request, pk)
    return render(request, "evaluations/subject_detail.html", _subject_context(request, subject))


def _step(
    request: HttpRequest,
    subject: Subject,
    form: Any,
    run: Any,
    *,
    title: str,
    template: str,
    summary: Any,
    context: dict[str, Any],
    done: str,
) -> HttpResponse:
    """One step of a subject (self-assessment, proposal, decision, reconsideration): the
    form; the answers checked by the service and shown back (`summary(data)`: the rows and
    warnings to confirm); the confirmed answers recorded; a refusal on its field."""
    context = {**_subject_context(request, subject), **context, "form": form, "title": title}
    if request.method != "POST" or not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(request, template, context, status=status)
    outcome = submit(request, form, run, fields=STEP_FIELDS)
    if outcome.done:
        messages.success(request, done)
        return redirect("evaluations:subject", pk=subject.pk)
    if outcome.confirming:
        rows, notes = summary(form.cleaned_data)
        context.update({"rows": rows, "notes": notes})
        return render(request, "evaluations/subject_confirm.html", context)
    return render(request, template, context, status=outcome.status)


def _unit_code(request: HttpRequest, form: Any, name: str) -> OrgUnit | None:
    """The unit a form names by its code in field `name` among those the user sees (an error
    on the field else); None when the field is empty."""
    code = (form.cleaned_data.get(name) or "").strip()
    if not code:
        return None
    unit = OrgUnit.objects.visible_to(request.user, VIEW).filter(code=code).first()
    if unit is None:
        form.add_error(name, _("No unit with the code %(code)s in your scope.") % {"code": code})
    return unit


@login_required
def subject_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a subject's case, which the records do not say: not rated (suspended…), on a
    long leave, on temporary transfer (the host cell), holding a leading post, a group of
    similar roles of its own; before its first decision. For the deciding unit's office
    (`decide_evaluations`); only what changed is passed to the service, which audits it."""
    subject = _subject_or_404(request, pk)
    if not can(request.user, DECIDE_EVALUATIONS, subject.deciding_unit.path):
        raise PermissionDenied
    rules = rules_of(subject.round)
    member = subject.member_id is not None
    initial = {
        "excluded": subject.excluded,
        "special_case": subject.special_case,
        "host_unit": subject.host_unit.code if subject.host_unit else "",
        "framework": subject.framework,
        "role_group": subject.role_group,
        "leads": subject.leads.code if subject.leads else "",
        "note": subject.note,
    }
    form = MarkForm(request.POST or None, initial=initial, rules=rules, member=member)
    context = {
        **_subject_context(request, subject),
        "form": form,
        "title": _("The subject's case"),
    }
    if request.method != "POST" or not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(request, "evaluations/subject_mark.html", context, status=status)
    data = form.cleaned_data
    host = _unit_code(request, form, "host_unit") if member else None
    leads = _unit_code(request, form, "leads") if member else None
    if form.errors:
        return render(request, "evaluations/subject_mark.html", context, status=422)

    def changed(value: Any, current: Any) -> Any:
        return value if value != current else None

    special = data.get("special_case", "")
    case_changed = member and (
        special != subject.special_case
        or (host is not None and host.pk != subject.host_unit_id)
        or data.get("leave_months") is not None
    )
    outcome = submit(
        request,
        form,
        lambda: ev.subject_mark(
            actor=request.user,
            subject=subject,
            excluded=changed(data.get("excluded", ""), subject.excluded) if member else None,
            special_case=special if case_changed else None,
            leave_months=data.get("leave_months"),
            framework=changed(data["framework"], subject.framework),
            role_group=changed(data["role_group"].strip(), subject.role_group),
            host_unit=host,
            leads=leads if leads is not None and leads.pk != subject.leads_id else None,
            note=changed(data["note"], subject.note),
        ),
        confirm=False,
        fields=STEP_FIELDS,
    )
    if outcome.done:
        messages.success(request, _("The subject's case is recorded."))
        return redirect("evaluations:subject", pk=subject.pk)
    return render(request, "evaluations/subject_mark.html", context, status=outcome.status)


@login_required
def subject_assess(request: HttpRequest, pk: int) -> HttpResponse:
    """The self-assessment: a score per criteria group of the subject's framework and the
    self-review; the total and the level it implies are shown before it is recorded."""
    subject = _subject_or_404(request, pk)
    if not can(request.user, EVALUATE, subject.home.path):
        raise PermissionDenied
    rules = rules_of(subject.round)
    framework = rules.frameworks[subject.framework]
    form = SelfAssessmentForm(request.POST or None, framework=framework)

    def run() -> Any:
        return ev.subject_self_assess(
            actor=request.user,
            subject=subject,
            scores=form.scores(),
            review=form.cleaned_data["review"],
        )

    def summary(data: dict[str, Any]) -> tuple[list[Any], list[str]]:
        scores = form.scores()
        total = sum(scores.values(), Decimal(0))
        rows = [(g.display_label, scores[g.code]) for g in framework.groups]
        rows += [
            (_("Total"), total),
            (_("Level the total implies"), _level_label(rules, rules.level_of(total))),
            (_("Self-review"), data["review"] or "—"),
        ]
        return rows, []

    return _step(
        request,
        subject,
        form,
        run,
        title=_("Self-assessment"),
        template="evaluations/subject_form.html",
        summary=summary,
        context={},
        done=_("The self-assessment is recorded."),
    )


@login_required
def subject_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """The cell's proposal: score, level and the vote that carried it (for a member on
    temporary transfer, the host cell's comments)."""
    subject = _subject_or_404(request, pk)
    if not can(request.user, EVALUATE, subject.home.path):
        raise PermissionDenied
    rules = rules_of(subject.round)
    latest = subject.assessments.order_by("-id").first()
    form = ProposalForm(
        request.POST or None,
        initial={"score": latest.score, "level": rules.level_of(latest.score)} if latest else {},
        rules=rules,
        host_comments=subject.special_case in rules.host_comment_cases,
    )

    def run() -> Any:
        data = form.cleaned_data
        return ev.subject_propose(
            actor=request.user,
            subject=subject,
            score=data["score"],
            level=data["level"],
            votes_for=data["votes_for"],
            votes_against=data["votes_against"],
            present=data["present"],
            host_comments=data.get("host_comments", ""),
            note=data["note"],
        )

    def summary(data: dict[str, Any]) -> tuple[list[Any], list[str]]:
        rows = [
            (_("Score"), data["score"]),
            (_("Level proposed"), _level_label(rules, data["level"])),
            (_("Level the score implies"), _level_label(rules, rules.level_of(data["score"]))),
            (
                _("Vote"),
                _("%(f)d in favour, %(a)d against, %(p)d present")
                % {"f": data["votes_for"], "a": data["votes_against"], "p": data["present"]},
            ),
        ]
        if data.get("host_comments"):
            rows.append((_("Host cell's comments"), data["host_comments"]))
        return rows, []

    return _step(
        request,
        subject,
        form,
        run,
        title=_("The cell's proposal"),
        template="evaluations/subject_form.html",
        summary=summary,
        context={},
        done=_("The proposal is recorded."),
    )


def _decision_summary(
    subject: Subject, rules: EvaluationRules, documents: list[Any], missing: list[str] | None = None
) -> Any:
    """The rows and warnings a decision (or reconsideration) is confirmed with: the level
    the score and the disqualifiers give, the quota as it would stand, and the steps before
    the decision not recorded (`missing`)."""
    by_pk = {d.pk: d for d in documents}

    def summary(data: dict[str, Any]) -> tuple[list[Any], list[str]]:
        caps = decision_caps(rules, subject, data["disqualifiers"])
        document = by_pk.get(data["document"]) if data["document"] else None
        rows: list[tuple[Any, Any]] = [
            (_("Level decided"), _level_label(rules, data["level"])),
            (_("Score"), data["score"]),
            (
                _("Level the score and the disqualifiers give"),
                _level_label(rules, expected_level(rules, data["score"], caps)),
            ),
            (_("Document"), document.symbol if document else "—"),
        ]
        rows += [
            (
                _("Disqualifier"),
                _("%(label)s (%(source)s; from the discipline records)")
                % {"label": c.label, "source": c.source}
                if c.from_discipline
                else _("%(label)s (%(source)s; from the confidence votes)")
                % {"label": c.label, "source": c.source}
                if c.from_fact
                else f"{c.label} ({c.source})",
            )
            for c in caps
        ]
        if data.get("override_reason"):
            rows.append((_("Reason to rate otherwise"), data["override_text"]))
        if data.get("reason"):
            rows.append((_("Reason for the reconsideration"), data["reason"]))
        notes = []
        quota = quota_view(subject, level=data["level"])
        if quota is not None:
            rows.append(
                (
                    _("Quota after this decision"),
                    _("%(e)d excellent of %(a)d allowed (%(g)d good)")
                    % {"e": quota.excellent, "a": quota.allowed, "g": quota.good},
                )
            )
            if quota.over and data["level"] == Level.EXCELLENT:
                notes.append(
                    _("Beyond the quota of %(unit)s (%(source)s): recorded as over the quota.")
                    % {"unit": quota.unit.name, "source": quota.source}
                )
        if missing:
            notes.append(_steps_warning(rules, subject, missing))
        return rows, notes

    return summary


@login_required
def subject_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The deciding unit's decision: level, score, document from its register, the
    disqualifiers that apply with their sources, a recorded reason to rate otherwise; the
    quota of the deciding unit and group is shown as the committee works."""
    subject = _subject_or_404(request, pk)
    if not can(request.user, DECIDE_EVALUATIONS, subject.deciding_unit.path):
        raise PermissionDenied
    rules = rules_of(subject.round)
    documents = document_choices(request.user, [subject.deciding_unit], subject.round)
    proposal = subject.proposals.order_by("-id").first()
    form = DecisionForm(
        request.POST or None,
        initial={"score": proposal.score, "level": proposal.level} if proposal else {},
        rules=rules,
        framework=subject.framework,
        documents=documents,
        from_discipline=frozenset(d.code for d in discipline_disqualifiers(rules, subject)),
        from_fact=frozenset(d.code for d in fact_disqualifiers(rules, subject)),
    )

    def run() -> Any:
        data = form.cleaned_data
        return ev.subject_decide(
            actor=request.user,
            subject=subject,
            deciding_unit=subject.deciding_unit,
            level=data["level"],
            score=data["score"],
            document=data["document"],
            disqualifiers=data["disqualifiers"],
            override_reason=data["override_reason"],
            override_text=data["override_text"],
        )

    missing = missing_steps(rules, subject)
    return _step(
        request,
        subject,
        form,
        run,
        title=_("Decision"),
        template="evaluations/subject_decide.html",
        summary=_decision_summary(subject, rules, documents, missing),
        context={
            "quota_rows": quota_rows(subject.round, subject.deciding_unit),
            "steps_warning": _steps_warning(rules, subject, missing) if missing else "",
        },
        done=_("The decision is recorded."),
    )


def _steps_warning(rules: EvaluationRules, subject: Subject, missing: list[str]) -> str:
    """What the decision form says of the steps the rule set puts before the decision that
    are not recorded (`missing`): refused, or recorded marked without them."""
    if rules.steps_enforcement == ENFORCE_REFUSE:
        text = ngettext(
            "Not recorded yet: %(steps)s. The level is decided after it: a decision without "
            "it is refused (%(source)s).",
            "Not recorded yet: %(steps)s. The level is decided after them: a decision without "
            "them is refused (%(source)s).",
            len(missing),
        )
    else:
        text = ngettext(
            "Not recorded yet: %(steps)s. The level is decided after it: a decision now is "
            "recorded marked as made without it (%(source)s).",
            "Not recorded yet: %(steps)s. The level is decided after them: a decision now is "
            "recorded marked as made without them (%(source)s).",
            len(missing),
        )
    return text % {"steps": step_names(subject.kind, missing), "source": rules.steps_source}


@login_required
def subject_reconsider(request: HttpRequest, pk: int) -> HttpResponse:
    """A closed round's decision reconsidered by the deciding unit or one above it, with its
    document and reason."""
    subject = _subject_or_404(request, pk)
    decider = subject.deciding_unit
    units = [
        u
        for u in OrgUnit.objects.filter(path__in=decider.ancestor_paths()).order_by("-depth")
        if can(request.user, DECIDE_EVALUATIONS, u.path)
    ]
    if not units:
        raise PermissionDenied
    rules = rules_of(subject.round)
    documents = document_choices(request.user, units, subject.round)
    latest = subject.decisions.order_by("-id").first()
    form = ReconsiderForm(
        request.POST or None,
        initial={"score": latest.score, "level": latest.level} if latest else {},
        rules=rules,
        framework=subject.framework,
        documents=documents,
        from_discipline=frozenset(d.code for d in discipline_disqualifiers(rules, subject)),
        from_fact=frozenset(d.code for d in fact_disqualifiers(rules, subject)),
        units=units,
    )

    def run() -> Any:
        data = form.cleaned_data
        return ev.subject_reconsider(
            actor=request.user,
            subject=subject,
            deciding_unit=next(u for u in units if u.code == data["deciding_unit"]),
            level=data["level"],
            score=data["score"],
            document=data["document"],
            reason=data["reason"],
            disqualifiers=data["disqualifiers"],
            override_reason=data["override_reason"],
            override_text=data["override_text"],
        )

    return _step(
        request,
        subject,
        form,
        run,
        title=_("Reconsideration"),
        template="evaluations/subject_decide.html",
        summary=_decision_summary(subject, rules, documents),
        context={"quota_rows": []},
        done=_("The reconsideration is recorded."),
    )


@login_required
def model_organizations(request: HttpRequest, code: str) -> HttpResponse:
    """The model organizations (four good, clean and strong) of a unit's subtree for a year:
    each organization's step per model and the counts ("11/11 organizations registered");
    for the office of a unit above them (`decide_evaluations`), registering one at the
    year's start and recording at its end whether it was recognized."""
    unit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    year = _year(request.POST.get("year") or request.GET.get("year"))
    # A page asked for without a year (or a wrong one) shows this year; a step posted for a
    # wrong year is refused below, never recorded for another year than the one it says.
    bad_year = year is None or not MIN_YEAR <= year <= MAX_YEAR
    if bad_year:
        year = timezone.localdate().year
    rules = evaluation_rules()
    table = model_table(unit, year)
    units = [
        row["unit"]
        for row in table["rows"]
        if can(request.user, DECIDE_EVALUATIONS, row["unit"].path)
    ]
    step = request.POST.get("step") if request.method == "POST" else None
    if step is not None and step not in ("register", "recognize"):
        step = None
    if request.method == "POST" and not units:
        raise PermissionDenied
    documents = model_document_choices(request.user, unit, units, year) if units else []
    forms_ = {
        name: ModelStepForm(
            request.POST if step == name else None,
            initial={"date": timezone.localdate()},
            rules=rules,
            units=units,
            step=name,
            documents=documents,
            prefix=name,
        )
        for name in ("register", "recognize")
    }
    context: dict[str, Any] = {
        "unit": unit,
        "year": year,
        "crumbs": breadcrumb(unit, request.user),
        "forms": forms_,
        "may_record": bool(units),
        "years": range(timezone.localdate().year + 1, timezone.localdate().year - 10, -1),
        **table,
    }
    if request.method != "POST":
        return render(request, "evaluations/model_organizations.html", context)
    if step is None:
        return render(request, "evaluations/model_organizations.html", context, status=422)
    form = forms_[step]
    valid = form.is_valid()
    if bad_year:
        form.add_error(
            None,
            _("The year must be between %(min)d and %(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR},
        )
    if not valid or bad_year:
        return render(request, "evaluations/model_organizations.html", context, status=422)
    data = form.cleaned_data
    target = next(u for u in units if u.code == data["unit"])

    def run() -> Any:
        if step == "register":
            return ev.model_register(
                actor=request.user,
                unit=target,
                year=year,
                kind=data["kind"],
                date=data["date"],
                document=data["document"],
            )
        return ev.model_recognize(
            actor=request.user,
            unit=target,
            year=year,
            kind=data["kind"],
            date=data["date"],
            recognized=data["recognized"] == "yes",
            document=data["document"],
        )

    outcome = submit(request, form, run, confirm=False)
    if outcome.done:
        messages.success(request, _("Recorded for %(unit)s.") % {"unit": target.name})
        return redirect(reverse("evaluations:models", args=[unit.code]) + f"?year={year}")
    return render(request, "evaluations/model_organizations.html", context, status=outcome.status)
