"""Report pages: the dashboard, composing and issuing the annual report, issued reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cadrebook.core.audit import audit_record
from cadrebook.core.dates import MIN_YEAR
from cadrebook.core.errors import ServiceError
from cadrebook.core.forms import add_refusal
from cadrebook.core.permissions import CHANGE, VIEW
from cadrebook.core.replica import reading_replica
from cadrebook.core.scoping import scope_for
from cadrebook.orgs.models import OrgUnit
from cadrebook.reports import document
from cadrebook.reports.aggregates import best_source
from cadrebook.reports.dashboard import dashboard_charts
from cadrebook.reports.forms import IssueForm, ReportForm, last_year
from cadrebook.reports.models import IssuedReport
from cadrebook.reports.privacy import mask_statistics
from cadrebook.reports.selectors import membership_history, unit_statistics, unit_tree_sizes
from cadrebook.reports.services import report_export_audit, report_issue

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _home_unit(request: HttpRequest) -> OrgUnit:
    """The shallowest unit the user may see: their own scope by default."""
    unit = OrgUnit.objects.visible_to(request.user, VIEW).order_by("depth", "path").first()
    if unit is None:
        raise Http404
    return unit


def _visible_unit(request: HttpRequest, code: str) -> OrgUnit:
    """A unit in the user's scope, or 404 exactly like a unit that does not exist."""
    return get_object_or_404(OrgUnit.objects.visible_to(request.user, VIEW), code=code)


def _year(value: str | None) -> tuple[int, str]:
    """The year of `?year=` (last year when none is given), and why the one given is refused
    ("" when it is not): then the page shows last year's figures and says so."""
    if not (value or "").strip():
        return last_year(), ""
    assert value is not None
    low, high = MIN_YEAR, timezone.localdate().year
    try:
        year = int(value.strip())
    except ValueError:
        year = None
    if year is not None and low <= year <= high:
        return year, ""
    return last_year(), _(
        "%(value)s is not a year between %(min)d and %(max)d; the figures shown are those of "
        "%(year)d."
    ) % {"value": value.strip(), "min": low, "max": high, "year": last_year()}


@login_required
@reading_replica()
def dashboard(request: HttpRequest) -> HttpResponse:
    """Figures and charts of a subtree for a year: the user's own scope unless `unit` says."""
    code = request.GET.get("unit")
    unit = _visible_unit(request, code) if code else _home_unit(request)
    year, year_error = _year(request.GET.get("year"))
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    as_of = min(end, timezone.localdate())
    source = best_source()  # one read of the aggregates for the whole page
    stats = mask_statistics(unit_statistics(unit, start, end, as_of, source=source), request.user)
    history = membership_history(unit, as_of, 10, source=source)
    tree = unit_tree_sizes(unit, as_of, depth=2, limit=300, source=source)
    admissions = next((t for t in stats.get("targets", []) if t["indicator"] == "admissions"), None)
    return render(
        request,
        "reports/dashboard.html",
        {
            "unit": unit,
            "year": year,
            "year_error": year_error,
            "years": range(timezone.localdate().year, timezone.localdate().year - 11, -1),
            "stats": stats,
            "admissions": admissions,
            "charts": dashboard_charts(stats, history, tree),
        },
    )


def _compose_context(form: ReportForm, unit: OrgUnit, user: Any) -> dict[str, Any]:
    start, end, as_of = form.period()
    stats = mask_statistics(unit_statistics(unit, start, end, as_of), user)
    language = form.cleaned_data["language"]
    return {
        "stats": stats,
        "unit": unit,
        "tables": document.tables(stats, language),
        "narrative": document.narrative(stats, language),
        "title": _("Report of %(unit)s for %(year)s")
        % {"unit": unit.name, "year": form.cleaned_data["year"]},
    }


@login_required
@reading_replica()
def compose(request: HttpRequest) -> HttpResponse:
    """Pick a unit, a year and a language; see the generated narrative (editable) and the
    tables; download a draft PDF or go on to issue the report."""
    initial = {"year": last_year(), "language": get_language() or "en"}
    if "unit" not in request.GET:
        initial["unit"] = _home_unit(request).code
    form = ReportForm(request.GET or None, initial=initial)
    context: dict[str, Any] = {"form": form}
    if request.GET and form.is_valid():
        unit = _visible_unit(request, form.cleaned_data["unit"])
        context.update(_compose_context(form, unit, request.user))
        context["may_issue"] = scope_for(request.user, CHANGE).covers_path(unit.path)
    return render(request, "reports/compose.html", context)


@login_required
@require_POST
@reading_replica()
def draft_pdf(request: HttpRequest) -> HttpResponse:
    """The PDF of the report as composed, before it is issued (audited like every export)."""
    form = IssueForm(request.POST)
    if not form.is_valid():
        return render(request, "reports/compose.html", {"form": form}, status=400)
    unit = _visible_unit(request, form.cleaned_data["unit"])
    start, end, as_of = form.period()
    stats = mask_statistics(unit_statistics(unit, start, end, as_of), request.user)
    audit_record(
        actor=request.user,
        obj=unit,
        action="export",
        event_type="report.draft_exported",
        unit=unit,
        after={"from": start, "to": end, "as_of": as_of, "format": "pdf"},
    )
    pdf = document.stats_pdf(
        stats,
        form.cleaned_data["language"],
        form.cleaned_data["narrative"],
        form.cleaned_data["title"],
    )
    return _download(pdf, "application/pdf", f"{slugify(unit.code)}-{start.year}-draft.pdf")


@login_required
@require_POST
def issue(request: HttpRequest) -> HttpResponse:
    """Issuing is final: the first POST shows what will be issued, the second issues it."""
    form = IssueForm(request.POST)
    if not form.is_valid():
        return render(request, "reports/compose.html", {"form": form}, status=400)
    unit = _visible_unit(request, form.cleaned_data["unit"])
    if request.POST.get("confirmed") != "yes":
        return render(request, "reports/issue_confirm.html", {"form": form, "unit": unit})
    start, end, as_of = form.period()
    try:
        report = report_issue(
            actor=request.user,
            unit=unit,
            date_from=start,
            date_to=end,
            as_of=as_of,
            language=form.cleaned_data["language"],
            narrative=form.cleaned_data["narrative"],
            title=form.cleaned_data["title"],
        )
    except ServiceError as exc:
        add_refusal(form, exc)
        return render(request, "reports/issue_confirm.html", {"form": form, "unit": unit})
    return redirect("reports:issued_detail", pk=report.pk)


@login_required
def issued_list(request: HttpRequest) -> HttpResponse:
    reports = IssuedReport.objects.visible_to(request.user).select_related("unit", "issued_by")
    return render(request, "reports/issued_list.html", {"reports": reports[:200]})


def _issued(request: HttpRequest, pk: int) -> IssuedReport:
    return get_object_or_404(IssuedReport.objects.visible_to(request.user), pk=pk)


@login_required
def issued_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An issued report as it was issued: its narrative and the figures it stored."""
    report = _issued(request, pk)
    figures = mask_statistics(report.figures, request.user)
    return render(
        request,
        "reports/issued_detail.html",
        {
            "report": report,
            "paragraphs": report.narrative.split("\n\n"),
            "tables": document.tables(figures, report.language),
        },
    )


@login_required
def issued_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    report = _issued(request, pk)
    report_export_audit(actor=request.user, report=report, fmt=fmt)
    name = f"{slugify(report.unit.code)}-{report.date_from.year}-{report.pk}"
    figures = mask_statistics(report.figures, request.user)
    if fmt == "pdf":
        pdf = document.stats_pdf(figures, report.language, report.narrative, report.title)
        return _download(pdf, "application/pdf", f"{name}.pdf")
    return _download(document.stats_xlsx(figures, report.language), XLSX, f"{name}.xlsx")


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
