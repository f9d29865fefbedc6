"""The report document made from the statistics: the narrative, the standard tables, and
their renderings as PDF (WeasyPrint), XLSX and CSV.

Everything here is a pure function of a statistics dict (docs/reports.md), so an issued
report renders from the figures it stored, never from today's data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cadrebook.core import contributions
from cadrebook.core.contributions import ReportSection, Table
from cadrebook.core.numbers import num as num
from cadrebook.core.numbers import pct as pct
from cadrebook.core.rules import current_ruleset
from cadrebook.reports.figures import MEMBER_COUNTS, MOVEMENTS
from cadrebook.reports.privacy import OTHER_GROUPS

FONTS = Path(settings.BASE_DIR) / "static" / "vendor" / "fonts"


# A date inside a sentence: Django's Vietnamese DATE_FORMAT starts with a capital "Ngày".
SENTENCE_DATE = {"vi": "d/m/Y", "en": "j F Y"}


def day(value: str) -> str:
    date = dt.date.fromisoformat(value)
    fmt = SENTENCE_DATE.get(translation.get_language() or "", "DATE_FORMAT")
    return formats.date_format(date, fmt, use_l10n=True)


def movement_label(key: str) -> str:
    labels = {
        "admitted": _("Admitted"),
        "recognized": _("Recognized as full members"),
        "not_recognized": _("Not recognized"),
        "transferred_in": _("Transferred in"),
        "transferred_out": _("Transferred out"),
        "exempted": _("Exempted from activities"),
        "removed": _("Removed from the rolls"),
        "expelled": _("Expelled"),
        "deceased": _("Deceased"),
        "readmitted": _("Readmitted"),
        "restructured_in": _("Handed over with their unit (in)"),
        "restructured_out": _("Handed over with their unit (out)"),
        "units_restructured_in": _("Units moved in"),
        "units_restructured_out": _("Units moved out"),
    }
    return labels.get(key, key)


def kind_label(code: str) -> str:
    """A unit kind's name from the rule set in the active language (its label where the rule
    set gives none in that language); the code of a kind the rule set does not know."""
    kind = current_ruleset().unit_kinds.get(code)
    return kind.display_label if kind else code


def _period(stats: dict[str, Any]) -> str:
    start, end = dt.date.fromisoformat(stats["from"]), dt.date.fromisoformat(stats["to"])
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return _("In %(year)s") % {"year": start.year}
    return _("From %(from)s to %(to)s") % {"from": day(stats["from"]), "to": day(stats["to"])}


def narrative(stats: dict[str, Any], language: str) -> str:
    """The report's narrative in `language`, in the style of the provincial reports: what
    the subtree did over the period, against its targets, and where it stands."""
    with translation.override(language):
        moves, members, units = stats["movements"], stats["members"], stats["units"]
        name = stats["name"]
        paragraphs = []
        first = ngettext(
            "%(period)s %(unit)s admitted %(count)s new member",
            "%(period)s %(unit)s admitted %(count)s new members",
            moves["admitted"],
        ) % {"period": _period(stats), "unit": name, "count": num(moves["admitted"])}
        first += " " + ngettext(
            "and recognized %(count)s probationary member as a full member.",
            "and recognized %(count)s probationary members as full members.",
            moves["recognized"],
        ) % {"count": num(moves["recognized"])}
        sentences = [first]
        for section in contributions.report_sections():  # targets, ... (apps contribute)
            sentences += section.sentences(stats)
        others = []
        if moves["transferred_in"] or moves["transferred_out"]:
            others.append(
                _("%(in)s members transferred in and %(out)s transferred out")
                % {"in": num(moves["transferred_in"]), "out": num(moves["transferred_out"])}
            )
        phrases = {
            "readmitted": lambda n: ngettext(
                "%(count)s member was readmitted", "%(count)s members were readmitted", n
            ),
            "not_recognized": lambda n: ngettext(
                "%(count)s probationary member was not recognized",
                "%(count)s probationary members were not recognized",
                n,
            ),
            "removed": lambda n: ngettext(
                "%(count)s member was removed from the rolls",
                "%(count)s members were removed from the rolls",
                n,
            ),
            "expelled": lambda n: ngettext(
                "%(count)s member was expelled", "%(count)s members were expelled", n
            ),
            "deceased": lambda n: ngettext("%(count)s member died", "%(count)s members died", n),
            "exempted": lambda n: ngettext(
                "%(count)s member was exempted from activities",
                "%(count)s members were exempted from activities",
                n,
            ),
        }
        for key, phrase in phrases.items():
            if moves[key]:
                others.append(phrase(moves[key]) % {"count": num(moves[key])})
        if others:
            sentences.append(_("Over the period %(list)s.") % {"list": "; ".join(others)})
        paragraphs.append(" ".join(sentences))

        standing = ngettext(
            "On %(date)s %(unit)s had %(total)s member (%(full)s full, %(prob)s probationary)",
            "On %(date)s %(unit)s had %(total)s members (%(full)s full, %(prob)s probationary)",
            members["total"],
        ) % {
            "date": day(stats["as_of"]),
            "unit": name,
            "total": num(members["total"]),
            "full": num(members["full"]),
            "prob": num(members["probationary"]),
        }
        change = stats.get("change_pct", {}).get("members", {}).get("total")
        if change is not None and change > 0:
            standing += ", " + _("up %(pct)s%% on a year earlier") % {"pct": pct(change)}
        elif change is not None and change < 0:
            standing += ", " + _("down %(pct)s%% on a year earlier") % {"pct": pct(-change)}
        standing += "; " + ngettext(
            "%(count)s of them is exempt from activities.",
            "%(count)s of them are exempt from activities.",
            members["exempt"],
        ) % {"count": num(members["exempt"])}
        if members["total"]:  # shares of nobody say nothing
            women = members["by_gender"].get("female", 0)
            minorities = (members["by_ethnicity"] or {}).get("minorities")
            if isinstance(minorities, int):
                standing += " " + _(
                    "Women are %(women)s%% of the members and ethnic minorities %(minorities)s%%."
                ) % {
                    "women": pct(_share(women, members["total"])),
                    "minorities": pct(_share(minorities, members["total"])),
                }
            else:  # withheld or hidden for the reader's role (reports/privacy.py)
                standing += " " + _("Women are %(women)s%% of the members.") % {
                    "women": pct(_share(women, members["total"]))
                }
        paragraphs.append(standing)
        org = ngettext(
            "The subtree counts %(count)s party organization",
            "The subtree counts %(count)s party organizations",
            units["total"],
        ) % {"count": num(units["total"])}
        org += "; " + ngettext(
            "%(count)s cell has fewer than %(min)s full members.",
            "%(count)s cells have fewer than %(min)s full members.",
            units["cells_below_minimum"],
        ) % {
            "count": num(units["cells_below_minimum"]),
            "min": num(units.get("cell_min_full_members", 3)),
        }
        paragraphs.append(org)
        return "\n\n".join(paragraphs)


def withheld_note() -> str:
    """What a table says in place of a breakdown the reader's role is not given."""
    return _(
        "Not given for this date or this size of unit: the figures would tell personal data "
        "you may not see."
    )


def _share(part: int, whole: int) -> float | None:
    from cadrebook.reports.figures import percent

    return percent(part, whole)


def _with_previous(
    title: str, now: dict[str, Any], before: dict[str, Any], labels: dict[str, str]
) -> Table:
    from cadrebook.reports.figures import change_percent

    table = Table(title, [_("Figure"), _("Now"), _("A year earlier"), _("Change %")])
    for key, label in labels.items():
        a, b = now.get(key, 0), before.get(key, 0)
        table.rows.append([label, a, b, change_percent(a, b)])
    return table


def _breakdown(title: str, counts: dict[str, int], labels: dict[str, str] | None = None) -> Table:
    table = Table(title, [_("Group"), _("Members")])
    for key, n in counts.items():
        table.rows.append([(labels or {}).get(key, key), n])
    return table


def tables(stats: dict[str, Any], language: str) -> list[Table]:
    """The standard tables of the statistics, with labels in `language`: those of every
    registered report section (`core/contributions.py`), in their order."""
    with translation.override(language):
        return [table for s in contributions.report_sections() for table in s.tables(stats)]


def _member_tables(stats: dict[str, Any]) -> list[Table]:
    """Members, movements, their breakdowns and the units, in the active language."""
    m, prev = stats["members"], stats["previous"]["members"]
    member_labels = {
        "total": _("Members"),
        "full": _("Full members"),
        "probationary": _("Probationary members"),
        "exempt": _("Exempt from activities"),
        "full_with_card": _("Full members with a card"),
        "full_without_card": _("Full members without a card"),
    }
    result = [
        _with_previous(
            _("Members on %(date)s") % {"date": day(stats["as_of"])},
            m,
            prev,
            {k: member_labels[k] for k in MEMBER_COUNTS},
        ),
        _with_previous(
            _("Movements from %(from)s to %(to)s")
            % {"from": day(stats["from"]), "to": day(stats["to"])},
            stats["movements"],
            stats["previous"]["movements"],
            {k: movement_label(k) for k in MOVEMENTS},
        ),
        _breakdown(
            _("Members by gender"),
            m["by_gender"],
            {"male": _("Men"), "female": _("Women")},
        ),
    ]
    pyramid = Table(_("Members by age"), [_("Age"), _("Men"), _("Women"), _("Members")])
    if m["by_age_bracket"] is None:
        pyramid.rows.append([withheld_note(), None, None, None])
    for bracket, n in (m["by_age_bracket"] or {}).items():
        g = m["by_age_bracket_gender"].get(bracket, {})
        pyramid.rows.append([bracket, g.get("male", 0), g.get("female", 0), n])
    result.append(pyramid)
    eth = m["by_ethnicity"]
    ethnic = Table(_("Members by ethnic group"), [_("Group"), _("Members")])
    if eth is None:
        ethnic.rows.append([withheld_note(), None])
    else:
        ethnic.rows += [
            [_("Majority"), eth["majority"]],
            [_("Minorities"), eth["minorities"]],
            *([[_("Not recorded"), eth["unknown"]]] if eth.get("unknown") else []),
            *[
                [_("Other groups") if group == OTHER_GROUPS else group, n]
                for group, n in eth["groups"].items()
            ],
        ]
    result.append(ethnic)
    result.append(
        _breakdown(
            _("Members by general education"),
            m["by_education"],
            {
                "upper_secondary": _("Upper secondary"),
                "lower_secondary": _("Lower secondary"),
                "primary": _("Primary"),
                "literate": _("Literate"),
                "unknown": _("Not recorded"),
            },
        )
    )
    result.append(
        _breakdown(
            _("Members by political theory level"),
            m["by_theory"],
            {
                "advanced": _("Advanced"),
                "intermediate": _("Intermediate"),
                "elementary": _("Elementary"),
                "none": _("None"),
            },
        )
    )
    units = Table(_("Party organizations by kind"), [_("Kind"), _("Units")])
    units.rows += [[kind_label(kind), n] for kind, n in stats["units"]["by_kind"].items()]
    units.rows.append(
        [
            _("Cells with fewer than %(min)s full members")
            % {"min": stats["units"].get("cell_min_full_members", 3)},
            stats["units"]["cells_below_minimum"],
        ]
    )
    result.append(units)
    return result


def _children_tables(stats: dict[str, Any]) -> list[Table]:
    """The figures by subordinate unit, in the active language."""
    result: list[Table] = []
    if stats.get("children"):
        kids = Table(
            _("By subordinate unit"),
            [
                _("Unit"),
                _("Members"),
                _("Full members"),
                _("Probationary members"),
                _("Admitted"),
                _("Recognized as full members"),
                _("Admissions target"),
            ],
        )
        for c in stats["children"]:
            target = next(
                (t["target"] for t in c.get("targets", []) if t["indicator"] == "admissions"),
                None,
            )
            kids.rows.append(
                [
                    c["name"],
                    c["members"]["total"],
                    c["members"]["full"],
                    c["members"]["probationary"],
                    c["movements"]["admitted"],
                    c["movements"]["recognized"],
                    target,
                ]
            )
        result.append(kids)
    return result


# The reports' own sections; the apps' sections (targets: order 50) go between them.
SECTIONS = [
    ReportSection("members", 10, tables=_member_tables),
    ReportSection("children", 90, tables=_children_tables),
]


def stats_csv(stats: dict[str, Any]) -> str:
    """The statistics as one long CSV for machines: section, figure, value (English codes)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "figure", "value"])
    for key in ("unit", "name", "as_of", "from", "to", "source"):
        writer.writerow(["report", key, stats[key]])

    def walk(section: str, prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(section, f"{prefix}.{k}" if prefix else k, v)
        elif isinstance(value, list):  # rows inside a figure (evaluation: quota)
            for i, item in enumerate(value):
                walk(section, f"{prefix}.{i}", item)
        else:
            writer.writerow([section, prefix, "" if value is None else value])

    for part in ("members", "movements", "units"):
        walk(part, "", stats[part])
        walk(f"previous.{part}", "", stats["previous"][part])
    walk("change_pct", "", stats["change_pct"])
    for figure in contributions.figures():  # targets, documents, ... (apps contribute)
        value = stats.get(figure.key) or []  # None: withheld (reports/privacy.py)
        if isinstance(value, dict):  # a figure of named parts (documents: by_type)
            walk(figure.key, "", value)
            continue
        for item in value:
            walk(figure.key, figure.csv_key(item), item)
    for c in stats["children"]:
        for part in ("members", "movements", "units"):
            walk(f"children.{c['unit']}.{part}", "", c[part])
    return out.getvalue()


def stats_xlsx(stats: dict[str, Any], language: str) -> bytes:
    """The statistics as a workbook: a cover sheet, then one sheet per standard table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    cover = book.active
    assert cover is not None
    with translation.override(language):
        cover.title = _("Report")[:31]
        cover.append([_("Unit"), stats["name"], stats["unit"]])
        cover.append([_("Period"), stats["from"], stats["to"]])
        cover.append([_("Members counted on"), stats["as_of"]])
    used = {cover.title}
    for n, table in enumerate(tables(stats, language), start=1):
        title = f"{n} {table.title}"[:31]
        for bad in "[]:*?/\\":
            title = title.replace(bad, " ")
        while title in used:
            title = title[:28] + f"~{n}"
        used.add(title)
        sheet = book.create_sheet(title)
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bar_chart_svg(rows: Sequence[tuple[str, float, float | None]], width: int = 640) -> str:
    """A plain horizontal bar chart in SVG (value, and an optional target mark per row), for
    the PDF, which runs no JavaScript."""
    rows = list(rows)[:25]
    top = max([max(v, t or 0) for _label, v, t in rows] + [1])
    bar_h, gap, left = 14, 6, 200
    height = len(rows) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">']
    for i, (label, value, target) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = (width - left - 60) * value / top
        parts.append(
            f'<text x="{left - 6}" y="{y + 11}" font-size="10" text-anchor="end">'
            f"{_escape(label)}</text>"
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#206bc4"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 11}" font-size="10">{num(value)}</text>'
        )
        if target:
            x = left + (width - left - 60) * target / top
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 2}" y2="{y + bar_h + 2}" '
                'stroke="#d63939" stroke-width="2"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def stats_pdf(
    stats: dict[str, Any],
    language: str,
    narrative_text: str | None = None,
    title: str | None = None,
) -> bytes:
    """An A4 PDF: the unit, the period and date, the narrative, the tables and two charts,
    page numbers in the footer, fonts from the app's own files (Vietnamese and Khmer)."""
    from weasyprint import HTML

    with translation.override(language):
        brackets = stats["members"]["by_age_bracket"] or {}
        # Counts hidden for the reader's role ("< 5", withheld) draw no bar.
        pyramid = [(b, float(n), None) for b, n in brackets.items() if isinstance(n, int)]
        admissions = [
            (
                c["name"],
                float(c["movements"]["admitted"]),
                next(
                    (
                        float(t["target"])
                        for t in c.get("targets", [])
                        if t["indicator"] == "admissions"
                    ),
                    None,
                ),
            )
            for c in stats.get("children", [])
        ]
        html = render_to_string(
            "reports/document_pdf.html",
            {
                "stats": stats,
                "title": title or _("Report of %(unit)s") % {"unit": stats["name"]},
                "paragraphs": (narrative_text or narrative(stats, language)).split("\n\n"),
                "tables": tables(stats, language),
                "period": _period(stats),
                "as_of": day(stats["as_of"]),
                "today": formats.date_format(dt.date.today(), "DATE_FORMAT", use_l10n=True),
                "fonts": FONTS.as_uri(),
                "age_chart": bar_chart_svg(pyramid) if pyramid else "",
                "admissions_chart": bar_chart_svg(admissions) if admissions else "",
                "language": language,
            },
        )
        return HTML(string=html, base_url=str(FONTS) + "/").write_pdf()
