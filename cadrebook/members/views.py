"""Member dossier: personal data (masked where the role may not read it), status, timeline,
audit trail. Opening a dossier is itself audited."""

from __future__ import annotations

import io
import json
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cadrebook.core.audit import audit_record
from cadrebook.core.errors import ServiceError
from cadrebook.core.forms import Submitted, add_refusal, refusal_text, submit
from cadrebook.core.permissions import AUDIT, CHANGE, VIEW, VIEW_SENSITIVE
from cadrebook.core.replica import reading_replica
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import PATH_END, scope_for, subtree_q
from cadrebook.core.spreadsheets import TableWriter
from cadrebook.core.views import audit_for_object, can, get_visible_or_404
from cadrebook.documents.references import readable_ids
from cadrebook.members import services as ms
from cadrebook.members.actions import ACTIONS, Action, actions_for, refusal
from cadrebook.members.forms import (
    EDITABLE,
    SPONSOR_RE,
    ActionForm,
    CorrectionForm,
    PersonalDataForm,
    RegisterForm,
    as_text,
    values_of,
)
from cadrebook.members.lists import (
    SORTS,
    MemberFilterForm,
    filtered_members,
    keyset_page,
    refuse_masked_filters,
    search_within,
)
from cadrebook.members.models import SENSITIVE_FIELDS, Member
from cadrebook.members.panels import dossier_panels
from cadrebook.members.reads import member_list_read_record, member_read_record
from cadrebook.members.selectors import mask, party_age, search_members, with_transfer_issued
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.selectors import breadcrumb


@login_required
def dossier(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_visible_or_404(
        Member.objects.select_related("unit", "pending_transfer_to"), request.user, pk=pk
    )
    member_read_record(actor=request.user, member=member)
    sensitive = can(request.user, VIEW_SENSITIVE, member.unit.path)
    personal = []
    for name in [*EDITABLE, "card_number"]:
        field = Member._meta.get_field(name)
        display = getattr(member, f"get_{name}_display", None)
        value = display() if callable(display) else getattr(member, name)
        if name in SENSITIVE_FIELDS and not sensitive:
            value = mask(value)
        personal.append((field.verbose_name, value or "—"))
    years, months = party_age(member, timezone.localdate())
    events = list(
        member.events.select_related("unit", "to_unit", "corrects", "registered_document").order_by(
            "date", "id"
        )
    )
    cited = {e.registered_document_id for e in events if e.registered_document_id}
    context = {
        "member": member,
        "personal": personal,
        "crumbs": breadcrumb(member.unit, request.user),
        "events": events,
        # The cited documents the viewer may open are linked; the others print their symbol.
        "readable_documents": readable_ids(request.user, cited),
        "periods": member.periods.select_related("unit").order_by("valid_from", "id"),
        "party_age": (years, months),
        "audit": audit_for_object(request.user, member)[:100],
        "can_audit": can(request.user, AUDIT, member.unit.path),
        "can_change": can(request.user, CHANGE, member.unit.path),
        "sponsors": member.sponsorships.select_related("sponsor"),
        "actions": actions_for(
            member,
            sending=can(request.user, CHANGE, member.unit.path),
            receiving=bool(member.pending_transfer_to)
            and can(request.user, CHANGE, member.pending_transfer_to.path),
        ),
    }
    # What the apps above show of the member (their ratings…), through `members/panels.py`.
    panels = dossier_panels()
    context["dossier_panels"] = panels
    for panel in panels:
        context.update(panel.context(request, member))
    return render(request, "members/dossier.html", context)


def _member_for(request: HttpRequest, pk: int, action: Action) -> Member:
    """The member an action is taken on: one of the officer's unit, or for the receiving
    side of a transfer, one on its way to a unit of theirs. Out of reach: 404; in view but
    not to be changed: 403."""
    members = Member.objects.select_related("unit", "pending_transfer_to")
    if action.receiving:
        scope = scope_for(request.user, CHANGE)
        incoming = members.filter(pending_transfer_to__isnull=False)
        if not scope.everything:
            incoming = incoming.filter(subtree_q("pending_transfer_to__path", scope.paths))
        return get_object_or_404(incoming, pk=pk)
    member = get_visible_or_404(members, request.user, pk=pk)
    if not can(request.user, CHANGE, member.unit.path):
        raise PermissionDenied
    return cast(Member, member)


@login_required
def member_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One lifecycle action: its form, a confirmation for the destructive ones (shown only
    when the service, asked first, would accept them), and the service's refusal shown next
    to the field at fault, naming the rule's source."""
    action = ACTIONS.get(name)
    if action is None:
        raise Http404
    member = _member_for(request, pk, action)
    back = (
        reverse("members:transfers", args=[member.pending_transfer_to.code])
        if action.receiving and member.pending_transfer_to
        else reverse("members:dossier", args=[member.pk])
    )
    if not action.applies(member):
        # The refusal the API and the service give for the same request, in their words.
        messages.error(request, refusal_text(refusal(action, member)))
        return redirect(back)
    form = ActionForm(action, request.POST or None)
    outcome = Submitted()
    if request.method == "POST" and form.is_valid():
        extra: dict[str, Any] = {}
        if action.receiving:
            # The cell this officer answers for: refused under the lock if the transfer now
            # goes elsewhere.
            extra["receiving"] = member.pending_transfer_to
        outcome = submit(
            request,
            form,
            lambda: action.service(
                actor=request.user, member=member, **form.service_arguments(), **extra
            ),
            confirm=action.destructive,
            touched=(member,),
        )
        if outcome.done:
            messages.success(
                request,
                _("%(action)s: done for %(name)s.")
                % {"action": action.label, "name": member.full_name},
            )
            late = _late_transfer(form.cleaned_data)
            if late:
                messages.warning(request, late)
            if action.receiving and name == "accept_transfer":
                back = reverse("members:dossier", args=[member.pk])
            return redirect(back)
    return render(
        request,
        "members/action.html",
        {
            "member": member,
            "action": action,
            "form": form,
            "confirming": outcome.confirming,
            "back": back,
            "crumbs": breadcrumb(member.unit, request.user),
        },
        status=outcome.status if request.method == "POST" else 200,
    )


def _late_transfer(data: dict[str, Any]) -> str:
    """A warning when a transfer was issued later after the move than the rule set allows
    (the transfer stands; the cell may have to explain the delay)."""
    moved_on, issued = data.get("moved_on"), data.get("date")
    if not moved_on or not issued:
        return ""
    rules = current_ruleset()
    limit = rules.int("transfer.start_working_days")
    days = rules.working_days_between(moved_on, issued)
    if days <= limit:
        return ""
    unknown = rules.unknown_holiday_years(moved_on, issued)
    if unknown:
        # Without the holidays of those years the count may be too high: say so, not "late".
        return _(
            "The transfer was issued %(days)s working days after the move, counting weekends "
            "only in %(years)s (their public holidays are not in the rule set); %(source)s "
            "asks for at most %(limit)s."
        ) % {
            "days": days,
            "limit": limit,
            "source": rules.source("transfer"),
            "years": ", ".join(str(y) for y in unknown),
        }
    return _(
        "The transfer was issued %(days)s working days after the move; %(source)s asks for "
        "at most %(limit)s."
    ) % {"days": days, "limit": limit, "source": rules.source("transfer")}


@login_required
def transfers(request: HttpRequest, code: str) -> HttpResponse:
    """The transfers of a unit's subtree waiting for acceptance: incoming and outgoing, with
    the date each was issued and the rule set's deadline for presenting the letter."""
    unit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    rules = current_ruleset()
    today = timezone.localdate()
    limit = rules.int("transfer.present_working_days")
    within = {"path__gte": unit.path, "path__lt": unit.path + PATH_END}
    pending = Member.objects.select_related("unit", "pending_transfer_to").filter(
        pending_transfer_to__isnull=False
    )
    incoming = pending.filter(**{f"pending_transfer_to__{k}": v for k, v in within.items()})
    outgoing = pending.filter(**{f"unit__{k}": v for k, v in within.items()})

    def rows(members: Any) -> list[dict[str, Any]]:
        result = []
        for m in with_transfer_issued(members).order_by("full_name", "pk")[:500]:
            issued = m.transfer_issued
            counted = rules.working_deadline(issued, limit) if issued else None
            deadline = counted.date if counted else None
            result.append(
                {
                    "member": m,
                    "issued": issued,
                    "deadline": deadline,
                    "overdue": deadline is not None and deadline < today,
                    "holidays_note": counted.note if counted else "",
                }
            )
        return result

    can_change = can(request.user, CHANGE, unit.path)
    return render(
        request,
        "members/transfers.html",
        {
            "unit": unit,
            "crumbs": breadcrumb(unit, request.user),
            "incoming": rows(incoming) if can_change else [],
            "outgoing": rows(outgoing.visible_to(request.user)),
            "can_change": can_change,
            "limit": limit,
            "source": rules.source("transfer"),
        },
    )


@login_required
def edit_personal(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit personal data with optimistic locking: if another officer saved the member after
    this form was opened, nothing is saved; the form comes back with the current record,
    lists what they changed, and keeps this officer's changes to re-apply with one click."""
    member = get_visible_or_404(Member.objects.select_related("unit"), request.user, pk=pk)
    if not can(request.user, CHANGE, member.unit.path):
        raise PermissionDenied
    conflict: list[dict[str, Any]] = []
    form = PersonalDataForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        changes = form.changed_values()
        try:
            if changes:
                ms.member_update_personal(
                    actor=request.user,
                    member=member,
                    version=form.cleaned_data["version"],
                    **changes,
                )
        except ServiceError as exc:
            if exc.code != "member.stale_version":
                add_refusal(form, exc)
            else:
                current = Member.objects.get(pk=member.pk)
                read, now = form.read_values(), values_of(current)
                conflict = [
                    {
                        "field": Member._meta.get_field(name).verbose_name,
                        "read": read.get(name, ""),
                        "now": now[name],
                        "mine": as_text(changes[name]) if name in changes else None,
                    }
                    for name in EDITABLE
                    if read.get(name, "") != now[name]
                ]
                # The current record, with this officer's changes on top, ready to re-apply.
                data = {**now, **{k: as_text(v) for k, v in changes.items()}}
                data.update(version=current.version, original=json.dumps(now))
                form = PersonalDataForm(data, instance=current)
                form.is_valid()
        else:
            messages.success(request, _("Personal data saved."))
            return redirect("members:dossier", pk=member.pk)
    return render(
        request,
        "members/edit_personal.html",
        {
            "member": member,
            "form": form,
            "conflict": conflict,
            "crumbs": breadcrumb(member.unit, request.user),
        },
        status=409 if conflict else (422 if request.method == "POST" else 200),
    )


EXPORT_COLUMNS = [
    ("full_name", _lazy("Full name")),
    ("gender", _lazy("Gender")),
    ("birth_date", _lazy("Date of birth")),
    ("ethnicity", _lazy("Ethnicity")),
    ("national_id", _lazy("National ID number")),
    ("unit_code", _lazy("Unit code")),
    ("unit_name", _lazy("Unit")),
    ("status", _lazy("Status")),
    ("exempt", _lazy("Exempt")),
    ("admitted_on", _lazy("Admitted on")),
    ("recognized_on", _lazy("Full member since")),
    ("card_number", _lazy("Member card number")),
]


def _list_unit(request: HttpRequest) -> OrgUnit | None:
    """The unit named by `?unit=` if the user may see it (else 404), or their top unit."""
    visible = OrgUnit.objects.visible_to(request.user, VIEW)
    code = request.GET.get("unit", "").strip()
    if code:
        return get_object_or_404(visible, code=code)
    return visible.order_by("depth", "path").first()


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    """Members of a subtree: filters, sort orders, keyset pages, and the export of exactly
    the filtered list (CSV or XLSX; masked for roles that may not read sensitive fields;
    audited)."""
    unit = _list_unit(request)
    sensitive = unit is not None and can(request.user, VIEW_SENSITIVE, unit.path)
    params = request.GET.copy()
    if not sensitive and params.get("sort", "").lstrip("-") == "birth_date":
        # The order of masked dates of birth would tell them: by name instead, the filters
        # kept (the form, which offers no such order here, would refuse them all).
        params["sort"] = "name"
    form = MemberFilterForm(params or None, sensitive=sensitive or unit is None)
    data = form.cleaned_data if form.is_valid() else {}
    if unit is None:
        return render(request, "members/list.html", {"form": form, "unit": None})
    if not sensitive:
        try:
            refuse_masked_filters(request.GET)
        except ServiceError as exc:
            context = {"form": form, "unit": unit, "refused": exc.message}
            context["crumbs"] = breadcrumb(unit, request.user)
            return render(request, "members/list.html", context, status=403)
    members = filtered_members(unit, data, sensitive=sensitive).visible_to(request.user)
    sort = data.get("sort") or "name"
    if not sensitive and sort.lstrip("-") == "birth_date":
        sort = "name"  # the order of masked dates of birth would tell them
    fmt = request.GET.get("export", "")
    if fmt in ("csv", "xlsx") and form.is_valid():
        return _export(request, unit, members, sort, fmt, data)
    text = data.get("q") or ""
    after = request.GET.get("after", "")
    unsearched = filtered_members(unit, {**data, "q": ""}, sensitive=sensitive)
    page = keyset_page(
        members,
        sort,
        after,
        ranked=bool(text),
        text=text,
        count=True,
        unsearched=unsearched.visible_to(request.user),
        within=search_within(unit, data),
    )
    if sensitive:  # the rows show dates of birth unmasked
        member_list_read_record(actor=request.user, unit=unit, members=page.rows, filters=data)
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("export", None)
    unsorted = query.copy()
    unsorted.pop("sort", None)
    context = {
        "sort": sort,
        "query_unsorted": unsorted.urlencode(),
        "sortable": [
            ("name", _("Name")),
            ("birth_date", _("Date of birth")),
            ("admitted_on", _("Admitted on")),
        ],
        "form": form,
        "unit": unit,
        "page": page,
        "query": query.urlencode(),
        "crumbs": breadcrumb(unit, request.user),
        "sensitive": can(request.user, VIEW_SENSITIVE, unit.path),
    }
    template = (
        "members/_list_rows.html" if request.headers.get("HX-Request") else "members/list.html"
    )
    return render(request, template, context)


@reading_replica()  # a whole subtree's members: from the replica when there is one
def _export(
    request: HttpRequest,
    unit: OrgUnit,
    members: Any,
    sort: str,
    fmt: str,
    filters: dict[str, Any],
) -> HttpResponse:
    sensitive_ok = can(request.user, VIEW_SENSITIVE, unit.path)
    # The order of the pages: rows without the sort value last, exact matches first.
    descending = sort.startswith("-")
    column = F(SORTS.get(sort.lstrip("-"), SORTS["name"]))
    order = [
        column.desc(nulls_last=True) if descending else column.asc(nulls_last=True),
        "-pk" if descending else "pk",
    ]
    if filters.get("q"):
        order.insert(0, "rank")
    out = io.BytesIO()
    masked = False
    with TableWriter(
        out, fmt, [str(label) for _name, label in EXPORT_COLUMNS], date_columns=(2, 9, 10)
    ) as writer:
        for m in members.order_by(*order).iterator(chunk_size=2000):
            row = {
                "full_name": m.full_name,
                "gender": m.get_gender_display(),
                "birth_date": m.birth_date,
                "ethnicity": m.ethnicity,
                "national_id": m.national_id or "",
                "unit_code": m.unit.code,
                "unit_name": m.unit.name,
                "status": m.get_status_display(),
                "exempt": _("yes") if m.exempt else "",
                "admitted_on": m.admitted_on,
                "recognized_on": m.recognized_on,
                "card_number": m.card_number or "",
            }
            if not sensitive_ok:
                for name in SENSITIVE_FIELDS:
                    if name in row:  # set or empty alike: presence is not told either
                        row[name] = mask(row[name])
                masked = True
            writer.writerow([row[name] for name, _label in EXPORT_COLUMNS])
    audit_record(
        actor=request.user,
        obj=unit,
        action="export",
        event_type="export.member_list",
        unit=unit,
        after={
            "format": fmt,
            "rows": writer.rows,
            "masked": masked,
            "filters": {k: str(v) for k, v in filters.items() if v not in (None, "")},
        },
    )
    content_type = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(out.getvalue(), content_type=content_type)
    name = f"members-{unit.code}-{timezone.localdate().isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def register(request: HttpRequest, code: str) -> HttpResponse:
    """Register an applicant in a cell, with the sponsors the rule set asks for."""
    unit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    rules = current_ruleset()
    if not can(request.user, CHANGE, unit.path):
        raise PermissionDenied
    if unit.kind not in rules.member_holding_kinds():
        raise Http404
    form = RegisterForm(
        request.POST or None, user=request.user, sponsors=rules.int("admission.sponsors")
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        personal = {k: v for k, v in form.personal_data().items() if v not in (None, "")}
        try:
            member = ms.member_register_applicant(
                actor=request.user,
                unit=unit,
                date=data["date"],
                document=data.get("document") or "",
                sponsors=data["sponsors"],
                **personal,
            )
        except ServiceError as exc:
            # The service names the sponsors as one field: its refusal goes on the first.
            add_refusal(form, exc, {"sponsors": next(iter(form.sponsor_names()), None)})
        else:
            messages.success(request, _("%(name)s registered.") % {"name": member.full_name})
            return redirect("members:dossier", pk=member.pk)
    return render(
        request,
        "members/register.html",
        {"unit": unit, "form": form, "crumbs": breadcrumb(unit, request.user)},
        status=422 if request.method == "POST" else 200,
    )


LOOKUP_LIMIT = 20


@login_required
def sponsor_lookup(request: HttpRequest) -> HttpResponse:
    """htmx fragment: <option>s of the full members the user can see whose name matches
    what was typed (accents optional), as "Name (#id)" with their cell."""
    text = next((v for v in request.GET.values() if v.strip()), "").strip()
    text = SPONSOR_RE.sub("", text).strip(" (")
    found: list[Member] = []
    if len(text) >= 2:
        full = Member.objects.visible_to(request.user).filter(status="full")
        matches = search_members(full, text, id_scope=scope_for(request.user, VIEW_SENSITIVE))
        # The first names in the name keys' order: as fast for "Nguyễn" as for a rare name.
        page = keyset_page(matches.select_related("unit"), "name", text=text, size=LOOKUP_LIMIT)
        found = page.rows
    return render(request, "members/_sponsor_options.html", {"members": found})


@login_required
def correct_event(request: HttpRequest, pk: int, event_id: int) -> HttpResponse:
    """Correct a mistaken event of a member: the original stays in the history, marked as
    superseded; the correction is a new event with its reason (asked to confirm first)."""
    member = get_visible_or_404(Member.objects.select_related("unit"), request.user, pk=pk)
    if not can(request.user, CHANGE, member.unit.path):
        raise PermissionDenied
    event = get_object_or_404(
        member.events.exclude(type="correction").select_related("unit"), pk=event_id
    )
    form = CorrectionForm(request.POST or None)
    outcome = Submitted()
    back = reverse("members:dossier", args=[member.pk])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = submit(
            request,
            form,
            lambda: ms.member_correct_event(
                actor=request.user,
                event=event,
                reason=data["reason"],
                void=data["what"] == "void",
                date=data.get("date") if data["what"] == "date" else None,
                document=data.get("document") or "",
            ),
            touched=(member, event),
        )
        if outcome.done:
            messages.success(request, _("The correction is recorded."))
            return redirect(back)
    return render(
        request,
        "members/correct.html",
        {
            "member": member,
            "event": event,
            "form": form,
            "confirming": outcome.confirming,
            "back": back,
            "crumbs": breadcrumb(member.unit, request.user),
        },
        status=outcome.status if request.method == "POST" else 200,
    )
