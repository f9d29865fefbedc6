"""The annual report: narrative in three languages, PDF and XLSX, issuing, and the pages."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.evaluations.services import target_set
from cadrebook.reports import document
from cadrebook.reports.models import IssuedReport
from cadrebook.reports.selectors import PeriodSource, unit_statistics
from cadrebook.reports.services import report_issue

D = dt.date


@pytest.fixture
def scenario(tree: SimpleNamespace, make_member: Any, actor: Any) -> dict[str, Any]:
    """23 admissions in 2024 against a target of 20, 3 of them women, in a province named
    with Vietnamese diacritics."""
    from cadrebook.orgs.services import unit_rename

    unit_rename(actor=actor, unit=tree.P, name="Đảng bộ tỉnh Phú Lâm")
    tree.P.refresh_from_db()
    for n in range(23):
        make_member(
            tree.K1 if n % 2 else tree.GC,
            D(1995, 1, 1),
            D(2024, 3, 1),
            gender="female" if n < 3 else "male",
        )
    for _ in range(4):
        make_member(tree.K2, D(1980, 1, 1), D(2020, 1, 1), recognized=True)
    target_set(actor=actor, unit=tree.P, year=2024, indicator="admissions", target=20)
    return unit_statistics(tree.P, D(2024, 1, 1), D(2024, 12, 31), source=PeriodSource())


def test_the_narrative_in_three_languages(scenario: dict[str, Any]) -> None:
    en = document.narrative(scenario, "en")
    assert "In 2024 Đảng bộ tỉnh Phú Lâm admitted 23 new members" in en
    assert "23 admissions against a target of 20, 115.00%" in en
    assert "had 27 members (4 full, 23 probationary)" in en
    vi = document.narrative(scenario, "vi")
    assert "Năm 2024, Đảng bộ tỉnh Phú Lâm đã kết nạp 23 đảng viên mới" in vi
    assert "đạt 115,00%" in vi
    assert "31/12/2024" in vi
    km = document.narrative(scenario, "km")
    assert "បានទទួលសមាជិកថ្មីចំនួន 23 នាក់" in km
    assert "115,00%" in km


def test_singular_and_plural(tree: SimpleNamespace, make_member: Any) -> None:
    make_member(tree.K1, D(1995, 1, 1), D(2024, 3, 1))
    stats = unit_statistics(tree.P, D(2024, 1, 1), D(2024, 12, 31), source=PeriodSource())
    text = document.narrative(stats, "en")
    assert "admitted 1 new member and recognized 0 probationary members" in text
    assert "had 1 member (0 full, 1 probationary)" in text


def test_thousands_are_grouped_by_language() -> None:
    from django.utils import translation

    with translation.override("en"):
        assert document.num(8123) == "8,123"
    with translation.override("vi"):
        assert document.num(8123) == "8.123"
        assert document.pct(101.22) == "101,22"


def test_xlsx_has_one_sheet_per_table_with_numbers(scenario: dict[str, Any]) -> None:
    book = load_workbook(io.BytesIO(document.stats_xlsx(scenario, "vi")))
    tables = document.tables(scenario, "vi")
    assert len(book.sheetnames) == len(tables) + 1
    members = book.worksheets[1]
    assert members["A1"].value == "Nội dung"
    assert members["B2"].value == 27 and isinstance(members["B2"].value, int)


def test_csv_lists_every_figure(scenario: dict[str, Any]) -> None:
    text = document.stats_csv(scenario)
    assert "members,total,27\n" in text
    assert "movements,admitted,23\n" in text
    assert "targets,2024.admissions.achievement_pct,115.0\n" in text


def test_the_pdf_renders_with_its_figures(scenario: dict[str, Any]) -> None:
    pdf = document.stats_pdf(scenario, "vi", title="Báo cáo năm 2024")
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Báo cáo năm 2024" in text
    assert "Đảng bộ tỉnh Phú Lâm" in text
    assert "đã kết nạp 23 đảng viên mới" in text
    assert "Trang 1 / " in text
    assert len(reader.pages) >= 2


@pytest.fixture
def officer(tree: SimpleNamespace, actor: Any, django_user_model: Any) -> Any:
    user = django_user_model.objects.create_user(username="officer")
    role_grant(actor=actor, user=user, role="organizer", unit=tree.P)
    return user


def test_issuing_stores_the_figures_and_is_audited(
    scenario: dict[str, Any], tree: SimpleNamespace, officer: Any, make_member: Any
) -> None:
    report = report_issue(
        actor=officer,
        unit=tree.P,
        date_from=D(2024, 1, 1),
        date_to=D(2024, 12, 31),
        as_of=D(2024, 12, 31),
        language="en",
        narrative="Edited narrative.",
        title="Annual report 2024",
    )
    assert report.figures["members"]["total"] == 27
    assert AuditEntry.objects.filter(event_type="report.issued", object_id=str(report.pk)).exists()
    # Later changes do not touch what was issued; issued reports cannot change.
    make_member(tree.K1, D(1995, 1, 1), D(2024, 5, 1))
    report.refresh_from_db()
    assert report.figures["members"]["total"] == 27
    with pytest.raises(ValueError):
        report.save()
    with pytest.raises(ValueError):
        IssuedReport.objects.filter(pk=report.pk).update(title="x")


def test_issuing_needs_a_narrative_and_the_right(
    scenario: dict[str, Any], tree: SimpleNamespace, actor: Any, django_user_model: Any
) -> None:
    from cadrebook.core.errors import ServiceError

    viewer = django_user_model.objects.create_user(username="viewer")
    role_grant(actor=actor, user=viewer, role="viewer", unit=tree.P)
    args = {
        "unit": tree.P,
        "date_from": D(2024, 1, 1),
        "date_to": D(2024, 12, 31),
        "as_of": D(2024, 12, 31),
        "language": "en",
        "title": "T",
    }
    with pytest.raises(ServiceError) as err:
        report_issue(actor=viewer, narrative="text", **args)
    assert err.value.code == "report.not_allowed"
    with pytest.raises(ServiceError) as err:
        report_issue(actor=actor, narrative="  ", **args)
    assert err.value.code in ("report.narrative_missing", "report.not_allowed")
    assert not IssuedReport.objects.exists()


def test_compose_confirm_issue_and_download(
    scenario: dict[str, Any], tree: SimpleNamespace, officer: Any, client: Any
) -> None:
    client.force_login(officer)
    page = client.get("/reports/compose/", {"unit": "P", "year": "2024", "language": "vi"})
    assert page.status_code == 200
    assert "đã kết nạp 23 đảng viên mới" in page.content.decode()
    form = {
        "unit": "P",
        "year": "2024",
        "language": "vi",
        "title": "Báo cáo năm 2024",
        "narrative": "Đoạn văn đã sửa.",
    }
    draft = client.post("/reports/compose/draft.pdf", form)
    assert draft.status_code == 200 and draft.content.startswith(b"%PDF")
    # The draft carries the edited narrative, not the generated one.
    draft_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(draft.content)).pages)
    assert "Đoạn văn đã sửa." in draft_text and "đã kết nạp" not in draft_text
    confirm = client.post("/reports/compose/issue/", form)
    assert confirm.status_code == 200
    assert "cannot be changed afterwards" in confirm.content.decode()
    assert not IssuedReport.objects.exists()
    done = client.post("/reports/compose/issue/", {**form, "confirmed": "yes"})
    report = IssuedReport.objects.get()
    assert done.status_code == 302 and done.url == f"/reports/issued/{report.pk}/"
    assert report.narrative == "Đoạn văn đã sửa."
    detail = client.get(done.url)
    assert "Đoạn văn đã sửa." in detail.content.decode()
    xlsx = client.get(f"/reports/issued/{report.pk}/report.xlsx")
    assert xlsx.status_code == 200
    assert AuditEntry.objects.filter(event_type="report.exported").count() == 1
    assert AuditEntry.objects.filter(event_type="report.draft_exported").count() == 1


def test_reports_of_other_subtrees_answer_404(
    scenario: dict[str, Any], tree: SimpleNamespace, officer: Any, actor: Any, client: Any,
    django_user_model: Any,
) -> None:  # fmt: skip
    report = report_issue(
        actor=officer,
        unit=tree.P,
        date_from=D(2024, 1, 1),
        date_to=D(2024, 12, 31),
        as_of=D(2024, 12, 31),
        language="en",
        narrative="N",
        title="T",
    )
    outsider = django_user_model.objects.create_user(username="outsider")
    role_grant(actor=actor, user=outsider, role="organizer", unit=tree.C2)
    client.force_login(outsider)
    assert client.get(f"/reports/issued/{report.pk}/").status_code == 404
    assert client.get(f"/reports/issued/{report.pk}/report.pdf").status_code == 404
    assert (
        client.get(
            "/reports/compose/", {"unit": "C1", "year": "2024", "language": "en"}
        ).status_code
        == 404
    )
    assert f"/reports/issued/{report.pk}/" not in client.get("/reports/issued/").content.decode()


def _issue(actor: Any, unit: Any, **changes: Any) -> IssuedReport:
    args: dict[str, Any] = {
        "unit": unit,
        "date_from": D(2024, 1, 1),
        "date_to": D(2024, 12, 31),
        "as_of": D(2024, 12, 31),
        "language": "en",
        "narrative": "N",
        "title": "T",
    }
    return report_issue(actor=actor, **{**args, **changes})


def test_issuing_again_makes_a_new_report(
    scenario: dict[str, Any], tree: SimpleNamespace, officer: Any, make_member: Any
) -> None:
    first = _issue(officer, tree.P, narrative="First.")
    make_member(tree.K1, D(1995, 1, 1), D(2024, 5, 1))
    second = _issue(officer, tree.P, narrative="Corrected.")
    assert second.pk != first.pk
    first.refresh_from_db()
    assert (first.narrative, first.figures["members"]["total"]) == ("First.", 27)
    assert second.figures["members"]["total"] == 28  # recomputed when issued
    assert AuditEntry.objects.filter(event_type="report.issued").count() == 2


def test_issuing_names_the_bad_field(
    scenario: dict[str, Any], tree: SimpleNamespace, officer: Any
) -> None:
    from cadrebook.core.errors import ServiceError

    refusals: list[tuple[dict[str, Any], str, str]] = [
        ({"language": "fr"}, "report.language_unknown", "language"),
        ({"title": " "}, "report.title_missing", "title"),
        ({"date_from": D(2025, 1, 1)}, "report.period_reversed", "from"),
    ]
    for changes, code, field in refusals:
        with pytest.raises(ServiceError) as err:
            _issue(officer, tree.P, **changes)
        assert (err.value.code, err.value.field) == (code, field)
    assert not IssuedReport.objects.exists()


def test_an_issued_report_shows_what_it_stored(
    scenario: dict[str, Any], tree: SimpleNamespace, officer: Any, client: Any, make_member: Any
) -> None:
    report = _issue(officer, tree.P, narrative="Stored narrative.")
    make_member(tree.K1, D(1995, 1, 1), D(2024, 5, 1))  # today's count is 28
    client.force_login(officer)
    page = client.get(f"/reports/issued/{report.pk}/").content.decode()
    assert "Stored narrative." in page
    assert '<td class="text-end">27</td>' in page and '<td class="text-end">28</td>' not in page
    assert f"/reports/issued/{report.pk}/" in client.get("/reports/issued/").content.decode()


def test_every_page_needs_a_login(client: Any, db: None) -> None:
    for url in ("/reports/compose/", "/reports/issued/", "/reports/issued/1/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.url, url
