"""Pages of cadre work: a unit's posts (its committee terms, its seats by the rule set with
their holders on a day, the empty ones marked), the forms that record a term, an election,
an appointment and the end of a post, a holding's page, a person's posts, and the
worklists.

Reads follow `view` on the unit (out of scope: 404, as a missing one); the personal data
derived from a date of birth (the retirement day) follows `view_sensitive`, masked for
others. A write needs `manage_cadres` on the unit (403 for a user who reads the unit without
it), goes through its service, and comes back with the service's refusal, with the rule's
source, on the field it names; what ends posts (closing a term, ending a post) is shown back
for confirmation first (`core/forms.submit`). The planning, confidence-vote and rotation
pages are `planning_views.py`'s.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from cadrebook.cadres import worklists
from cadrebook.cadres.choices import HoldingHow
from cadrebook.cadres.forms import (
    AppointForm,
    ElectForm,
    EndForm,
    TermCloseForm,
    TermOpenForm,
    VoidForm,
)
from cadrebook.cadres.models import PostHolding
from cadrebook.cadres.pages import (
    committee_terms,
    empty_designated,
    has_posts,
    history_read_record,
    holding_read_record,
    holding_rows,
    list_read_record,
    manages_any,
    member_planning,
    planning_rows,
    retires_on,
    running_terms,
    seat_rows,
    term_planned_end,
    unit_documents,
)
from cadrebook.cadres.permissions import MANAGE_CADRES
from cadrebook.cadres.planning_selectors import AGE_LIMIT, CONFIDENCE_VOTE, DISCIPLINE, DISMISSAL
from cadrebook.cadres.rules import cadre_rules
from cadrebook.cadres.selectors import post_history
from cadrebook.cadres.services import (
    committee_term_close,
    committee_term_open,
    holding_correct,
    holding_end,
    post_appoint,
    post_elect,
)
from cadrebook.core.dates import add_months
from cadrebook.core.forms import Submitted, submit
from cadrebook.core.permissions import VIEW, VIEW_SENSITIVE
from cadrebook.core.scoping import scope_for, subtree_q
from cadrebook.core.views import can, get_visible_or_404
from cadrebook.documents.models import Document, Term
from cadrebook.members.choices import MemberStatus
from cadrebook.members.forms import SPONSOR_RE
from cadrebook.members.models import Member
from cadrebook.members.selectors import search_members
from cadrebook.orgs.models import OrgUnit

ROWS = 100  # rows of a worklist on one page; the total says how many there are
LOOKUP_ROWS = 20  # members offered as a name is typed, as the sponsors' lookup offers
RETIREMENT_MONTHS = 12  # the worklist's default horizon for retirements (?months= changes it)
MAX_MONTHS = 120
VOTES_MONTHS = 12  # the worklist shows the confidence votes of the last year
# Who the lookup offers for a post as a name is typed: the members today (a name, an external
# id or a "Name (#id)" typed still names anyone, for the service to check on the post's day).
HOLDERS = (MemberStatus.PROBATIONARY, MemberStatus.FULL)


def _unit(request: HttpRequest, code: str) -> OrgUnit:
    """A unit the user sees (404 else)."""
    unit: OrgUnit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    return unit


def _must(request: HttpRequest, path: str) -> None:
    if not can(request.user, MANAGE_CADRES, path):
        raise PermissionDenied


def _day(request: HttpRequest, name: str = "on") -> dt.date:
    """The day a page is asked for (`?on=`), today by default or when unreadable."""
    try:
        parsed = parse_date((request.GET.get(name) or "").strip())
    except ValueError:
        parsed = None
    return parsed or timezone.localdate()


def planning_url(unit: OrgUnit) -> str:
    """The unit's planning lists (`planning_views.py`'s page)."""
    return reverse("cadres_planning:unit", args=[unit.code])


def _positions(unit: OrgUnit) -> list[tuple[str, str]]:
    """The positions the unit's kind has seats of, in the rule set's order."""
    rules = cadre_rules()
    return [
        (p.code, p.display_label) for p in rules.positions if rules.seats_for(p.code, unit.kind)
    ]


def _document(documents: list[Document], pk: int | None) -> Document | None:
    return next((d for d in documents if d.pk == pk), None)


def _term(terms: list[Term], pk: int | None) -> Term | None:
    return next((t for t in terms if t.pk == pk), None)


def _show(request: HttpRequest, context: dict[str, Any], status: int | None = None) -> HttpResponse:
    if status is None:
        status = 422 if request.method == "POST" else 200
    return render(request, "cadres/form_page.html", context, status=status)


def _settled(
    request: HttpRequest, outcome: Submitted, *, message: str, to: str, context: dict[str, Any]
) -> HttpResponse:
    if outcome.done:
        messages.success(request, message)
        return redirect(to)
    return _show(request, context, outcome.status)


def _confirm(
    request: HttpRequest, context: dict[str, Any], *, title: str, question: str, action: str
) -> HttpResponse:
    return render(
        request,
        "cadres/confirm.html",
        {**context, "title": title, "question": question, "action": action},
    )


# -- A unit's posts --------------------------------------------------------------------------


@login_required
def unit_posts(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's committee terms and its seats with their holders on a day (`?on=`)."""
    unit = _unit(request, code)
    day = _day(request)
    rules = cadre_rules()
    rows = seat_rows(request.user, unit, day)
    shown = {h.pk: h for r in rows for h in r.holdings}
    list_read_record(
        actor=request.user,
        name="posts",
        filters={"unit": unit.code, "on": day.isoformat()},
        counts={"holders": len(shown)},
        unit=unit,
    )
    return render(
        request,
        "cadres/unit_posts.html",
        {
            "unit": unit,
            "day": day,
            "today": timezone.localdate(),
            "has_posts": has_posts(unit, rules),
            "terms": [
                {"term": t, "planned_end": term_planned_end(t, rules)}
                for t in committee_terms(request.user, unit)
            ],
            "seats": [
                {"row": r, "holders": holding_rows(r.holdings, day), "sources": r.seats.source}
                for r in rows
            ],
            "empty": empty_designated(rows),
            "holders": len(shown),
            "may_manage": can(request.user, MANAGE_CADRES, unit.path),
            "planning_url": planning_url(unit),
        },
    )


@login_required
def term_open(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    _must(request, unit.path)
    form = TermOpenForm(request.POST or None)
    context = _context(unit, form, _("Open a committee term"), _("Open the term"))
    if request.method != "POST" or not form.is_valid():
        return _show(request, context)
    d = form.cleaned_data
    outcome = submit(
        request,
        form,
        lambda: committee_term_open(
            actor=request.user, unit=unit, start=d["start"], end=d["end"], label=d["label"]
        ),
        confirm=False,
    )
    return _settled(
        request,
        outcome,
        message=_("The committee term is open."),
        to=reverse("cadres:unit", args=[unit.code]),
        context=context,
    )


@login_required
def term_close(request: HttpRequest, code: str) -> HttpResponse:
    """Close a running committee term: every post of the term still running ends that day,
    so the answers are shown back with those posts for confirmation first."""
    unit = _unit(request, code)
    _must(request, unit.path)
    terms = running_terms(request.user, unit)
    form = TermCloseForm(request.POST or None, terms=terms)
    context = _context(unit, form, _("Close a committee term"), _("Close the term"))
    if request.method != "POST" or not form.is_valid():
        return _show(request, context)
    d = form.cleaned_data
    term = _term(terms, d["term"])
    if term is None:
        raise Http404
    outcome = submit(
        request,
        form,
        lambda: committee_term_close(actor=request.user, term=term, end=d["end"]),
        touched=(term,),
    )
    if outcome.confirming:
        ending = holding_rows(
            PostHolding.objects.filter(term=term)
            .running()
            .select_related("member")
            .order_by("position", "id"),
            d["end"],
        )
        return _confirm(
            request,
            {**context, "ending": ending},
            title=_("Close the term %(label)s") % {"label": term.label},
            question=_("Closing the term ends its posts still running on that day:"),
            action=_("Close the term and end its posts"),
        )
    return _settled(
        request,
        outcome,
        message=_("The term is closed and its posts ended."),
        to=reverse("cadres:unit", args=[unit.code]),
        context=context,
    )


def _context(unit: OrgUnit, form: Any, title: str, submit_label: str) -> dict[str, Any]:
    return {
        "unit": unit,
        "form": form,
        "title": title,
        "submit_label": submit_label,
        "back": reverse("cadres:unit", args=[unit.code]),
    }


# -- Elections and appointments --------------------------------------------------------------


def _member(request: HttpRequest, form: Any, unit: OrgUnit) -> Member | None:
    """The member the form's `member` names: one picked in the list ("Name (#id)"), else
    the member with that external id, else the one member of the unit's subtree whose name
    matches; a member the user does not see is an error on the field, as a missing one.
    Whether the member may hold the post is the service's check."""
    text = (form.cleaned_data.get("member") or "").strip()
    visible: Any = Member.objects.visible_to(request.user, VIEW).select_related("unit")
    picked = SPONSOR_RE.search(text)
    if picked and len(picked.group(1)) < 18:
        member: Member | None = visible.filter(pk=int(picked.group(1))).first()
    else:
        member = visible.filter(external_id=text).first()
    if member is None and not picked:
        named = list(
            search_members(
                visible.filter(subtree_q("unit__path", [unit.path])),
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
def member_lookup(request: HttpRequest, code: str) -> HttpResponse:
    """htmx fragment: <option>s of the members of the unit's subtree the user sees whose
    name matches what was typed, as "Name (#id)" with their cell: members today (full or
    probationary), not applicants nor those who left, whom no post may be given."""
    unit = _unit(request, code)
    _must(request, unit.path)
    text = SPONSOR_RE.sub("", (request.GET.get("member") or "").strip()).strip(" (")
    found: list[Member] = []
    if len(text) >= 2:
        found = list(
            search_members(
                Member.objects.visible_to(request.user, VIEW)
                .filter(subtree_q("unit__path", [unit.path]), status__in=HOLDERS)
                .select_related("unit"),
                text,
                id_scope=scope_for(request.user, VIEW_SENSITIVE),
            )[:LOOKUP_ROWS]
        )
    return render(request, "members/_sponsor_options.html", {"members": found})


def _post_form_kwargs(request: HttpRequest, unit: OrgUnit) -> dict[str, Any]:
    return {
        "positions": _positions(unit),
        "documents": unit_documents(request.user, unit),
        "member_lookup": reverse("cadres:member_lookup", args=[unit.code]),
        "terms": running_terms(request.user, unit),
    }


@login_required
def elect(request: HttpRequest, code: str) -> HttpResponse:
    """Record an election to a post of the unit, with its votes."""
    unit = _unit(request, code)
    _must(request, unit.path)
    kw = _post_form_kwargs(request, unit)
    form = ElectForm(request.POST or None, initial={"started_on": timezone.localdate()}, **kw)
    context = _context(unit, form, _("Record an election"), _("Record the election"))
    if request.method != "POST" or not form.is_valid():
        return _show(request, context)
    member = _member(request, form, unit)
    term = _term(kw["terms"], form.cleaned_data["term"])
    if term is None:
        form.add_error("term", _("Choose a running committee term of the unit."))
    if form.errors:
        return _show(request, context)
    d = form.cleaned_data
    assert member is not None and term is not None
    outcome = submit(
        request,
        form,
        lambda: post_elect(
            actor=request.user,
            member=member,
            unit=unit,
            position=d["position"],
            term=term,
            started_on=d["started_on"],
            votes_for=d["votes_for"],
            votes_total=d["votes_total"],
            document=_document(kw["documents"], d["document"]),
            document_text=d["document_text"],
        ),
        confirm=False,
    )
    return _settled(
        request,
        outcome,
        message=_("The election is recorded."),
        to=reverse("cadres:unit", args=[unit.code]),
        context=context,
    )


@login_required
def appoint(request: HttpRequest, code: str) -> HttpResponse:
    """Record an appointment, an acting post or a secondment to a post of the unit."""
    unit = _unit(request, code)
    _must(request, unit.path)
    kw = _post_form_kwargs(request, unit)
    form = AppointForm(
        request.POST or None,
        initial={"started_on": timezone.localdate(), "how": HoldingHow.APPOINTED},
        **kw,
    )
    context = _context(unit, form, _("Record an appointment"), _("Record the appointment"))
    if request.method != "POST" or not form.is_valid():
        return _show(request, context)
    member = _member(request, form, unit)
    if form.errors:
        return _show(request, context)
    d = form.cleaned_data
    assert member is not None
    outcome = submit(
        request,
        form,
        lambda: post_appoint(
            actor=request.user,
            member=member,
            unit=unit,
            position=d["position"],
            started_on=d["started_on"],
            how=d["how"],
            term=_term(kw["terms"], d["term"]),
            planned_end=d["planned_end"],
            file_received_on=d["file_received_on"],
            document=_document(kw["documents"], d["document"]),
            document_text=d["document_text"],
            outside_planning_document=_document(kw["documents"], d["outside_planning_document"]),
            outside_planning_text=d["outside_planning_text"],
        ),
        confirm=False,
    )
    return _settled(
        request,
        outcome,
        message=_("The appointment is recorded."),
        to=reverse("cadres:unit", args=[unit.code]),
        context=context,
    )


# -- A holding -------------------------------------------------------------------------------


def _holding_or_404(request: HttpRequest, pk: int) -> PostHolding:
    holding: PostHolding | None = (
        PostHolding.objects.visible_to(request.user, VIEW)
        .select_related(
            "member__unit",
            "unit",
            "term",
            "document",
            "end",
            "end__document",
            "end__restoration",
            "correction",
        )
        .filter(pk=pk)
        .first()
    )
    if holding is None:
        raise Http404
    return holding


@login_required
def holding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A post held: the holder, the position, how, from when to when, the decision, the
    votes, its end. Audited."""
    holding = _holding_or_404(request, pk)
    holding_read_record(actor=request.user, holding=holding)
    today = timezone.localdate()
    (row,) = holding_rows([holding], today)
    return render(
        request,
        "cadres/holding.html",
        {
            "holding": holding,
            "row": row,
            "unit": holding.unit,
            "retires_on": retires_on(request.user, holding.member),
            "may_end": row["end"] is None
            and not voided(holding)
            and can(request.user, MANAGE_CADRES, holding.unit.path),
            "may_void": not voided(holding) and can(request.user, MANAGE_CADRES, holding.unit.path),
            "correction": holding.correction if voided(holding) else None,
        },
    )


def voided(holding: PostHolding) -> bool:
    """Whether a correction voided the holding (recorded in error)."""
    # The reverse one-to-one raises an AttributeError (RelatedObjectDoesNotExist) when none.
    return hasattr(holding, "correction")


def _holding_step(
    request: HttpRequest,
    holding: PostHolding,
    form: Any,
    *,
    title: str,
    write: Any,
    question: str,
    action: str,
    message: str,
) -> HttpResponse:
    """A step on a post that is not undone (its end, its void): the form, the service's
    refusal on it, the confirmation asked first, then back to the post's page."""
    context: dict[str, Any] = {
        "unit": holding.unit,
        "form": form,
        "holding": holding,
        "title": title,
        "submit_label": _("Continue"),
        "back": reverse("cadres:holding", args=[holding.pk]),
    }
    if request.method != "POST" or not form.is_valid():
        return _show(request, context)
    outcome = submit(request, form, lambda: write(form.cleaned_data), touched=(holding,))
    if outcome.confirming:
        return _confirm(request, context, title=title, question=question, action=action)
    return _settled(
        request,
        outcome,
        message=message,
        to=reverse("cadres:holding", args=[holding.pk]),
        context=context,
    )


@login_required
def holding_void_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Void a holding recorded in error, with the reason: shown back for confirmation first
    (the record stays, struck, and counts nowhere)."""
    holding = _holding_or_404(request, pk)
    _must(request, holding.unit.path)
    if voided(holding):
        raise Http404
    documents = unit_documents(request.user, holding.unit)
    label = cadre_rules().position_label(holding.position)
    return _holding_step(
        request,
        holding,
        VoidForm(request.POST or None, documents=documents),
        title=_("Void the record of %(name)s as %(position)s")
        % {"name": holding.member.full_name, "position": label},
        write=lambda d: holding_correct(
            actor=request.user,
            holding=holding,
            reason=d["reason"],
            document=_document(documents, d["document"]),
            document_text=d["document_text"],
        ),
        question=_(
            "The record that %(name)s held the post of %(position)s of %(unit)s is voided "
            "as recorded in error: it stays in the history, struck, and counts nowhere."
        )
        % {"name": holding.member.full_name, "position": label, "unit": holding.unit.name},
        action=_("Void the record"),
        message=_("The record is voided."),
    )


@login_required
def holding_end_page(request: HttpRequest, pk: int) -> HttpResponse:
    """End a post (resigned, dismissed, end of term, retired): shown back for confirmation
    first (a post's end is not undone)."""
    holding = _holding_or_404(request, pk)
    _must(request, holding.unit.path)
    documents = unit_documents(request.user, holding.unit)
    form = EndForm(
        request.POST or None, initial={"ended_on": timezone.localdate()}, documents=documents
    )
    label = cadre_rules().position_label(holding.position)
    return _holding_step(
        request,
        holding,
        form,
        title=_("End the post of %(name)s") % {"name": holding.member.full_name},
        write=lambda d: holding_end(
            actor=request.user,
            holding=holding,
            ended_on=d["ended_on"],
            reason=d["reason"],
            document=_document(documents, d["document"]),
            document_text=d["document_text"],
        ),
        question=_(
            "%(name)s leaves the post of %(position)s of %(unit)s. A post's end is "
            "history: it is not undone."
        )
        % {"name": holding.member.full_name, "position": label, "unit": holding.unit.name},
        action=_("End the post"),
        message=_("The post is ended."),
    )


# -- A person's posts ------------------------------------------------------------------------


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    """Every post a member held or holds, and their planning entries, in the units the user
    sees. Audited."""
    member: Member = get_visible_or_404(Member.objects.select_related("unit"), request.user, pk=pk)
    history_read_record(actor=request.user, member=member)
    today = timezone.localdate()
    return render(
        request,
        "cadres/person.html",
        {
            "member": member,
            "posts": holding_rows(post_history(request.user, member), today),
            "planning": planning_rows(member_planning(request.user, member)),
            "retires_on": retires_on(request.user, member),
        },
    )


# -- Worklists -------------------------------------------------------------------------------


def _capped(rows: list[Any]) -> dict[str, Any]:
    return {"rows": rows[:ROWS], "total": len(rows), "more": len(rows) > ROWS}


@login_required
def worklist_page(request: HttpRequest) -> HttpResponse:
    """What the organizing board has to act on in the units whose cadres the user manages
    (`?unit=` narrows to a subtree): empty seats, terms and appointments ending, planning
    lists short or off target, people flagged by votes, age or discipline."""
    if not manages_any(request.user):
        raise PermissionDenied
    code = (request.GET.get("unit") or "").strip()
    under = _unit(request, code) if code else None
    if under is not None:
        _must(request, under.path)
    try:
        months = min(max(int(request.GET.get("months") or RETIREMENT_MONTHS), 1), MAX_MONTHS)
    except ValueError:
        months = RETIREMENT_MONTHS
    user = request.user
    today = timezone.localdate()
    ruleset_rules = cadre_rules()
    lists: dict[str, list[Any]] = {
        "empty_seats": worklists.empty_seats(user, today, under),
        "terms_ending": worklists.terms_ending(user, today, under),
        "appointments_ending": worklists.appointments_ending(user, today, under),
        "planning_short": worklists.planning_short(user, today, under),
        "planning_off_target": worklists.planning_off_target(user, today, under),
        "confidence_flagged": worklists.confidence_flagged(
            user, add_months(today, -VOTES_MONTHS), today, under
        ),
        "retirements": worklists.retirements(user, today, months, under),
        "planning_flags": worklists.planning_flags(user, today, under),
    }
    shown = {name: _capped(rows) for name, rows in lists.items()}
    list_read_record(
        actor=user,
        name="worklists",
        filters={"unit": code, "months": months},
        counts={name: len(s["rows"]) for name, s in shown.items()},
        members=[r.member.pk for r in shown["retirements"]["rows"]],
    )
    reasons = {
        AGE_LIMIT: _("Past the age limit"),
        DISCIPLINE: _("Disciplined at reprimand or above"),
        CONFIDENCE_VOTE: _("Low confidence vote"),
    }
    return render(
        request,
        "cadres/worklists.html",
        {
            "today": today,
            "unit_code": code,
            "under": under,
            "months": months,
            "lists": shown,
            "notice_days": ruleset_rules.notice_working_days,
            "notice_source": ruleset_rules.notice_source,
            "appointments": [
                {"due": d, "position": ruleset_rules.position_label(d.holding.position)}
                for d in shown["appointments_ending"]["rows"]
            ],
            "retirements": [
                {
                    "due": r,
                    "positions": [ruleset_rules.position_label(h.position) for h in r.holdings],
                }
                for r in shown["retirements"]["rows"]
            ],
            "votes": [
                {"flag": f, "dismissal": f.outcome == DISMISSAL}
                for f in shown["confidence_flagged"]["rows"]
            ],
            "flags": [
                {
                    "flag": f,
                    "reason": reasons.get(f.reason, f.reason),
                    "position": ruleset_rules.position_label(f.entry.position),
                }
                for f in shown["planning_flags"]["rows"]
            ],
            "retirement_source": ruleset_rules.retirement.source,
        },
    )
