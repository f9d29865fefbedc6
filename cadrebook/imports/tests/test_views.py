"""The import and export pages as a user drives them: upload a file, read the validation
report, confirm or cancel; download the report, the templates and exports. Tasks run
in-process (ImmediateBackend, see the root conftest) unless a test says otherwise."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import resolve, reverse
from django.utils.html import escape

from cadrebook.core.models import AuditEntry
from cadrebook.imports.formats import FORMATS, KINDS
from cadrebook.imports.models import ImportJob, JobStatus
from cadrebook.imports.services import import_job_create
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

from .samples import downloaded, logged_in

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = [
    "external_id",
    "full_name",
    "gender",
    "birth_date",
    "ethnicity",
    "national_id",
    "unit_code",
    "status",
    "admitted_on",
    "recognized_on",
    "card_number",
]
HEAD = ",".join(COLUMNS) + "\n"
FULL = (
    "A1,Nguyễn Văn An,male,1990-02-01,Kinh,001090000001,K1,full,2020-01-10,2021-01-10,01.000001\n"
)
PROB = "A2,Trần Thị Bình,female,04/03/1992,Tày,,K1,probationary,2026-01-10,,\n"
# Admitted at 15: refused by the rule on the minimum age.
TOO_YOUNG = "A5,Trẻ Quá,male,2010-01-01,Kinh,,K1,probationary,2025-01-01,,\n"
GOOD = HEAD + FULL + PROB
ONE_BAD = HEAD + FULL + TOO_YOUNG + PROB  # the bad row is row 3 (the header is row 1)


def upload(
    client: Client,
    text: str | bytes,
    *,
    kind: str = "members",
    name: str = "members.csv",
    **fields: Any,
) -> Any:
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        reverse("imports:new"),
        {"kind": kind, "file": SimpleUploadedFile(name, data, content_type="text/csv"), **fields},
    )


def uploaded_job(response: Any) -> ImportJob:
    """The job an upload redirected to."""
    assert response.status_code == 302, response.content.decode()[:2000]
    match = resolve(response["Location"])
    assert match.url_name == "detail"
    return ImportJob.objects.get(pk=match.kwargs["pk"])


def page_of(client: Client, job: ImportJob) -> str:
    response = client.get(reverse("imports:detail", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


def report_rows(client: Client, job: ImportJob) -> list[list[Any]]:
    """The "rows" sheet of the job's XLSX report, empty cells as ""."""
    response = client.get(reverse("imports:report", args=[job.pk]))
    assert response.status_code == 200
    data = downloaded(response)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert {"rows", "errors", "warnings"} <= set(book.sheetnames)
    return [
        ["" if c is None else c for c in row] for row in book["rows"].iter_rows(values_only=True)
    ]


def stored_files(settings: Any) -> list[Path]:
    folder = Path(settings.IMPORT_DIR)
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


# --- Who sees what ---------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(client: Client, people: SimpleNamespace):
    job = import_job_create(
        actor=people.clerk, kind="members", source=io.BytesIO(GOOD.encode()), filename="m.csv"
    )
    urls = [
        reverse("imports:list"),
        reverse("imports:new"),
        reverse("imports:export"),
        reverse("imports:template", args=["members", "csv"]),
        reverse("imports:detail", args=[job.pk]),
        reverse("imports:progress", args=[job.pk]),
        reverse("imports:report", args=[job.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    response = client.post(reverse("imports:commit", args=[job.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Member.objects.count() == 0


def test_the_imports_page_lists_only_the_users_own_imports(people: SimpleNamespace):
    clerk, colleague = logged_in(people.clerk), logged_in(people.colleague)
    uploaded_job(upload(clerk, GOOD, name="mine.csv"))
    uploaded_job(upload(colleague, GOOD, name="theirs.csv"))

    page = clerk.get(reverse("imports:list")).content.decode()
    assert "mine.csv" in page
    assert "theirs.csv" not in page


def test_another_users_import_answers_404_on_every_page(people: SimpleNamespace):
    owner = logged_in(people.clerk)
    job = uploaded_job(upload(owner, ONE_BAD))
    assert report_rows(owner, job)  # the owner downloads it
    status = job.status

    other = logged_in(people.colleague)
    for name in ("detail", "progress", "report"):
        assert other.get(reverse(f"imports:{name}", args=[job.pk])).status_code == 404, name
    for name in ("commit", "cancel"):
        assert other.post(reverse(f"imports:{name}", args=[job.pk])).status_code == 404, name
    job.refresh_from_db()
    assert job.status == status


# --- Upload, report, confirm -----------------------------------------------------------------


def test_a_rule_breaking_row_is_reported_with_its_row_column_and_code_and_nothing_is_written(
    people: SimpleNamespace,
):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, ONE_BAD))
    job.refresh_from_db()

    assert job.status in (JobStatus.REFUSED, JobStatus.VALIDATED)
    [error] = job.report["errors"]
    assert (error["row"], error["column"], error["code"]) == (
        3,
        "admitted_on",
        "admission.too_young",
    )
    page = page_of(client, job)
    assert 'data-testid="errors"' in page
    assert '<td class="text-end">3</td><td>admitted_on</td>' in page
    assert "admission.too_young" in page
    assert 'data-testid="confirm"' not in page
    assert Member.objects.count() == 0


def test_the_report_downloads_as_a_spreadsheet_of_the_original_rows_with_their_errors(
    people: SimpleNamespace,
):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, ONE_BAD, name="province.csv"))
    assert 'data-testid="report-download"' in page_of(client, job)

    response = client.get(reverse("imports:report", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "province-report.xlsx" in response["Content-Disposition"]
    downloaded(response)
    rows = report_rows(client, job)
    assert rows[0] == [*COLUMNS, "import_errors"]
    bad = [r for r in rows[1:] if r[0] == "A5"]
    assert len(bad) == 1
    assert "admitted_on" in str(bad[0][-1])
    assert job.report["errors"][0]["message"] in str(bad[0][-1])
    good = [r for r in rows[1:] if r[0] == "A1"]
    assert good and good[0][-1] == ""


def test_a_valid_file_is_checked_first_and_written_only_when_the_user_confirms(
    people: SimpleNamespace,
):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, GOOD))
    job.refresh_from_db()
    assert job.status == JobStatus.VALIDATED
    assert job.report["created"] == 2
    assert Member.objects.count() == 0
    page = page_of(client, job)
    assert 'data-testid="confirm"' in page
    assert "to create" in page

    response = client.post(reverse("imports:commit", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert set(Member.objects.values_list("external_id", flat=True)) == {"A1", "A2"}
    assert AuditEntry.objects.filter(event_type="import.members").count() == 1
    page = page_of(client, job)
    assert 'data-testid="done"' in page
    assert 'data-testid="confirm"' not in page


def test_uploading_the_same_file_again_finds_every_row_unchanged(people: SimpleNamespace):
    client = logged_in(people.clerk)
    first = uploaded_job(upload(client, GOOD))
    client.post(reverse("imports:commit", args=[first.pk]))
    second = uploaded_job(upload(client, GOOD))
    second.refresh_from_db()
    assert second.status == JobStatus.VALIDATED
    assert (second.report["created"], second.report["updated"]) == (0, 0)
    assert second.report["unchanged"] == 2
    assert Member.objects.count() == 2


def test_confirming_a_finished_import_again_writes_nothing_more(people: SimpleNamespace):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, GOOD))
    client.post(reverse("imports:commit", args=[job.pk]))
    response = client.post(reverse("imports:commit", args=[job.pk]), follow=True)
    assert "cannot be confirmed" in response.content.decode()
    assert Member.objects.count() == 2
    assert AuditEntry.objects.filter(event_type="import.members").count() == 1


def test_with_valid_rows_only_the_confirmation_imports_the_good_rows_and_reports_the_rest(
    people: SimpleNamespace,
):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, ONE_BAD, valid_rows_only="on"))
    job.refresh_from_db()
    assert job.valid_rows_only and job.status == JobStatus.VALIDATED
    page = page_of(client, job)
    assert 'data-testid="confirm"' in page
    assert "1 row will not be imported" in page
    assert Member.objects.count() == 0

    client.post(reverse("imports:commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert set(Member.objects.values_list("external_id", flat=True)) == {"A1", "A2"}
    assert [e["row"] for e in job.report["errors"]] == [3]
    # The report to fix holds only the row that was left out.
    rows = report_rows(client, job)
    assert [r[0] for r in rows[1:]] == ["A5"]


def test_a_cancelled_import_cannot_be_confirmed_afterwards(people: SimpleNamespace):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, GOOD))

    response = client.post(reverse("imports:cancel", args=[job.pk]), follow=True)
    assert "cancelled" in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert 'data-testid="confirm"' not in page_of(client, job)

    response = client.post(reverse("imports:commit", args=[job.pk]), follow=True)
    assert "cannot be confirmed" in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert Member.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        (
            "members.pdf",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
            "file.not_tabular",
        ),
        ("members.csv", (HEAD + FULL.replace("Nguyễn Văn An", "=1+1")).encode(), "file.formulas"),
        ("members.csv", b"external_id,full_name,shoe_size\nA1,X,42\n", "file.unknown_columns"),
        ("members.csv", (HEAD + FULL).encode("utf-16-le"), "file.encoding"),
    ],
    ids=["pdf", "formula", "unknown-columns", "utf16-without-bom"],
)
def test_a_hostile_file_is_refused_with_a_clear_message_and_nothing_is_written(
    people: SimpleNamespace, name: str, data: bytes, code: str
):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, data, name=name))
    job.refresh_from_db()
    assert job.status == JobStatus.REFUSED
    assert job.report["file_error"]["code"] == code
    page = page_of(client, job)
    assert 'data-testid="file-error"' in page
    assert escape(job.report["file_error"]["message"]) in page
    assert 'data-testid="confirm"' not in page
    client.post(reverse("imports:commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.REFUSED
    assert Member.objects.count() == 0


def test_an_empty_upload_is_refused_with_a_form_error(people: SimpleNamespace):
    client = logged_in(people.clerk)
    response = upload(client, b"")
    assert response.status_code == 400
    assert 'data-testid="error-summary"' in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_html_in_a_cell_is_shown_escaped_in_the_report(people: SimpleNamespace):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, HEAD + FULL.replace(",K1,", ",<b>K1</b>,")))
    job.refresh_from_db()
    assert [e["value"] for e in job.report["errors"]] == ["<b>K1</b>"]
    page = page_of(client, job)
    assert "&lt;b&gt;K1&lt;/b&gt;" in page
    assert "<b>K1</b>" not in page


def test_an_oversize_upload_is_refused_with_a_form_error_and_nothing_is_stored(
    people: SimpleNamespace, settings: Any
):
    settings.CADREBOOK_IMPORT_MAX_BYTES = 100
    client = logged_in(people.clerk)
    response = upload(client, GOOD)
    assert len(GOOD.encode()) > 100
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="error-summary"' in page
    assert "limit" in page
    assert ImportJob.objects.count() == 0
    assert stored_files(settings) == []


def test_a_viewer_cannot_import_members(people: SimpleNamespace, settings: Any):
    client = logged_in(people.viewer)
    response = upload(client, GOOD)
    assert response.status_code == 400
    assert 'data-testid="error-summary"' in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert stored_files(settings) == []
    assert Member.objects.count() == 0


UNITS = "code,name,kind,parent_code\nK9,Cell 9,cell,G1\n"


def test_an_organizer_imports_a_units_file(people: SimpleNamespace, tree: SimpleNamespace):
    client = logged_in(people.organizer)
    job = uploaded_job(upload(client, UNITS, kind="units", name="units.csv"))
    job.refresh_from_db()
    assert job.status == JobStatus.VALIDATED and job.report["created"] == 1
    assert not OrgUnit.objects.filter(code="K9").exists()
    client.post(reverse("imports:commit", args=[job.pk]))
    unit = OrgUnit.objects.get(code="K9")
    assert unit.path.startswith(tree.G1.path) and unit.depth == tree.G1.depth + 1
    assert AuditEntry.objects.filter(event_type="import.units").count() == 1


def test_a_clerk_cannot_import_units(people: SimpleNamespace):
    client = logged_in(people.clerk)
    response = upload(client, UNITS, kind="units")
    assert response.status_code == 400
    assert ImportJob.objects.count() == 0


def test_rows_naming_a_unit_outside_the_users_subtree_are_refused(people: SimpleNamespace):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, HEAD + FULL.replace(",K1,", ",GC,")))
    job.refresh_from_db()
    assert [e["code"] for e in job.report["errors"]] == ["import.unit_unknown"]
    assert 'data-testid="confirm"' not in page_of(client, job)
    assert Member.objects.count() == 0


# --- Progress ---------------------------------------------------------------------------------


def test_the_progress_panel_of_a_finished_import_tells_htmx_to_reload_the_page(
    people: SimpleNamespace,
):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, GOOD))
    response = client.get(reverse("imports:progress", args=[job.pk]))
    assert response.status_code == 200
    assert 'data-testid="progress"' in response.content.decode()
    assert response["HX-Refresh"] == "true"


def test_the_progress_panel_of_a_waiting_import_keeps_polling(people: SimpleNamespace):
    job = import_job_create(
        actor=people.clerk, kind="members", source=io.BytesIO(GOOD.encode()), filename="m.csv"
    )
    client = logged_in(people.clerk)
    response = client.get(reverse("imports:progress", args=[job.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="progress"' in body and "hx-get=" in body
    assert "HX-Refresh" not in response
    assert "Cancel the import" in page_of(client, job)


@pytest.mark.django_db(transaction=True)
def test_with_the_database_task_backend_the_worker_validates_the_upload(
    people: SimpleNamespace, settings: Any
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, GOOD))
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED  # nothing ran yet
    assert "Waiting for the worker" in page_of(client, job)

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    job.refresh_from_db()
    assert job.status == JobStatus.VALIDATED
    assert job.report["created"] == 2
    assert Member.objects.count() == 0

    client.post(reverse("imports:commit", args=[job.pk]))
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert Member.objects.count() == 2


# --- Templates and exports --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_template_downloads_with_the_columns_of_its_kind(
    people: SimpleNamespace, kind: str, fmt: str
):
    client = logged_in(people.viewer)
    response = client.get(reverse("imports:template", args=[kind, fmt]))
    assert response.status_code == 200
    assert f'filename="cadrebook-{kind}.{fmt}"' in response["Content-Disposition"]
    expected = [c.name for c in FORMATS[kind]]
    if fmt == "csv":
        assert response["Content-Type"].startswith("text/csv")
        text = response.content.decode("utf-8-sig")
        assert next(csv.reader(io.StringIO(text))) == expected
    else:
        assert response["Content-Type"] == XLSX
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        first = book.worksheets[0]
        assert list(next(first.iter_rows(values_only=True))) == expected


BIRTH_DATES = {"A1": dt.date(1990, 2, 1), "A2": dt.date(1992, 3, 4)}


def test_a_filled_in_excel_template_uploads_and_imports(people: SimpleNamespace):
    client = logged_in(people.clerk)
    template = client.get(reverse("imports:template", args=["members", "xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for line in (FULL, PROB):
        values: dict[str, Any] = dict(zip(COLUMNS, line.strip().split(","), strict=True))
        values["birth_date"] = BIRTH_DATES[values["external_id"]]  # real Excel date cells
        sheet.append([values.get(h, "") for h in headers])
    out = io.BytesIO()
    book.save(out)

    job = uploaded_job(upload(client, out.getvalue(), name="members.xlsx"))
    job.refresh_from_db()
    assert job.status == JobStatus.VALIDATED, job.report
    assert job.report["created"] == 2 and job.report["errors"] == []
    client.post(reverse("imports:commit", args=[job.pk]))
    assert Member.objects.get(external_id="A2").birth_date == dt.date(1992, 3, 4)
    assert Member.objects.count() == 2


def test_an_unknown_template_answers_404(people: SimpleNamespace):
    client = logged_in(people.viewer)
    assert client.get(reverse("imports:template", args=["pets", "csv"])).status_code == 404
    assert client.get(reverse("imports:template", args=["members", "pdf"])).status_code == 404


@pytest.fixture
def members(tree: SimpleNamespace, make_member: Any) -> SimpleNamespace:
    """A member in K1 (inside G1's subtree) and one in GC (outside it)."""
    inside = make_member(
        tree.K1,
        dt.date(1990, 1, 1),
        dt.date(2020, 1, 10),
        full_name="Inside Person",
        national_id="001090000111",
    )
    outside = make_member(
        tree.GC,
        dt.date(1991, 1, 1),
        dt.date(2020, 1, 10),
        full_name="Outside Person",
        national_id="001091000222",
    )
    return SimpleNamespace(inside=inside, outside=outside)


def export_rows(client: Client, **params: str) -> tuple[Any, list[dict[str, str]]]:
    query = {"kind": "members", "format": "csv", "headers": "en", "unit": "", **params}
    response = client.get(reverse("imports:export"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    return response, rows


def test_a_viewer_exports_only_the_members_of_their_subtree_with_personal_data_masked(
    people: SimpleNamespace, members: SimpleNamespace
):
    client = logged_in(people.viewer)
    _response, rows = export_rows(client)
    assert [r["full_name"] for r in rows] == ["Inside Person"]
    assert rows[0]["national_id"] == "••••"
    assert rows[0]["birth_date"] == "••••"
    entry = AuditEntry.objects.filter(event_type="export.members").get()
    assert entry.actor_id == people.viewer.pk
    assert entry.after["rows"] == 1 and entry.after["masked"] is True


def test_a_clerk_exports_the_members_of_their_subtree_unmasked(
    people: SimpleNamespace, members: SimpleNamespace
):
    client = logged_in(people.clerk)
    _response, rows = export_rows(client, unit="K1")
    assert [(r["full_name"], r["national_id"]) for r in rows] == [("Inside Person", "001090000111")]
    assert AuditEntry.objects.filter(event_type="export.members").count() == 1


@pytest.mark.parametrize("code", ["NOPE", "GC"], ids=["unknown", "outside-the-subtree"])
def test_exporting_a_unit_the_user_may_not_see_gives_a_form_error(
    people: SimpleNamespace, members: SimpleNamespace, code: str
):
    client = logged_in(people.viewer)
    response = client.get(
        reverse("imports:export"),
        {"kind": "members", "format": "csv", "headers": "en", "unit": code},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'data-testid="error-summary"' in page
    assert "No unit with this code that you may see." in page
    assert "Outside Person" not in page
    assert not AuditEntry.objects.filter(event_type="export.members").exists()


# --- Faults found in review, now fixed ---------------------------------------------------------


def test_a_superuser_cannot_confirm_someone_elses_import_and_the_owner_still_can(
    people: SimpleNamespace,
):
    owner = logged_in(people.clerk)
    job = uploaded_job(upload(owner, GOOD))
    boss = logged_in(get_user_model().objects.create_superuser(username="boss", password=None))

    boss.post(reverse("imports:commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.VALIDATED
    assert 'data-testid="confirm"' not in page_of(boss, job)
    owner.post(reverse("imports:commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE


def test_an_import_whose_task_crashes_ends_failed_instead_of_running_forever(
    people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
):
    import cadrebook.imports.services as services

    def crash(**kwargs: Any) -> Any:
        raise OSError("No space left on device")

    monkeypatch.setattr(services, "run_import", crash)
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, GOOD))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    response = client.get(reverse("imports:progress", args=[job.pk]))
    assert response["HX-Refresh"] == "true"


def test_the_warning_about_a_small_cell_reads_correctly_for_one_full_member(
    people: SimpleNamespace,
):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, HEAD + FULL))
    job.refresh_from_db()
    [warning] = job.report["warnings"]
    assert warning["code"] == "organization.cell_below_minimum"
    assert "1 full member," in warning["message"]


@pytest.mark.parametrize("step", ["commit", "cancel"])
def test_the_uploaded_file_is_deleted_once_the_import_is_finished(
    people: SimpleNamespace, step: str
):
    client = logged_in(people.clerk)
    job = uploaded_job(upload(client, GOOD))
    assert Path(job.path).is_file()
    client.post(reverse(f"imports:{step}", args=[job.pk]))
    job.refresh_from_db()
    assert job.is_finished
    assert not Path(job.path).exists()
