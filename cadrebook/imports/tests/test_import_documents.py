"""Importing and exporting the register of documents: idempotent on (issuer, type, term,
number), all or nothing with a row-exact report, legacy symbols kept, missing terms opened
with approximate bounds, the same checks as the API; the export imports back unchanged."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command

from cadrebook.core.models import AuditEntry
from cadrebook.documents.models import Document, Term
from cadrebook.documents.services import term_create
from cadrebook.imports.exporting import export_table

D = dt.date
pytestmark = pytest.mark.django_db

HEADER = "issuer_code,type,term,number,date,title,signer,confidentiality,status,symbol,abstract\n"
REGISTER = HEADER + (
    "P,resolution,2025-2030,28,2026-01-05,Nghị quyết về kinh tế,Nguyễn Văn A,none,issued,,\n"
    "P,plan,2025-2030,167,2026-01-06,Kế hoạch thực hiện,Trần Văn B,,,,Tóm tắt\n"
    "P,regulation,2015-2020,12,2017-05-01,Quy định cũ,Lê C,none,replaced,12-QĐi/HU,\n"
    "C1,decision,2020-2025,5,2021-03-01,Quyết định,,restricted,issued,,\n"
)


@pytest.fixture
def current(tree: SimpleNamespace, actor: Any) -> Term:
    return term_create(actor=actor, unit=tree.P, start=D(2025, 10, 16), label="2025-2030")


def test_a_register_comes_in_with_its_symbols_and_missing_terms(run: Any, current: Term) -> None:
    report = run("documents", REGISTER)
    assert report.ok and report.created == 4, report.as_dict()
    symbols = dict(Document.objects.values_list("title", "symbol"))
    assert symbols == {
        "Nghị quyết về kinh tế": "28-NQ/TU",
        "Kế hoạch thực hiện": "167-KH/TU",
        "Quy định cũ": "12-QĐi/HU",
        "Quyết định": "05-QĐ/ĐU",
    }
    old = Term.objects.get(unit__code="P", label="2015-2020")
    assert (old.start, old.end, old.approximate) == (D(2015, 1, 1), D(2020, 12, 31), True)
    legacy = Document.objects.get(symbol="12-QĐi/HU")
    assert legacy.symbol_legacy and legacy.status == "replaced"


def test_importing_the_same_register_twice_changes_nothing(run: Any, current: Term) -> None:
    run("documents", REGISTER)
    audit = AuditEntry.objects.count()
    again = run("documents", REGISTER)
    assert (again.ok, again.unchanged, again.created) == (True, 4, 0)
    assert AuditEntry.objects.count() == audit and Document.objects.count() == 4
    changed = run("documents", REGISTER.replace("Kế hoạch thực hiện", "Kế hoạch khác"))
    assert [(e.row, e.column, e.code) for e in changed.errors] == [
        (3, "title", "import.document_differs")
    ]


def test_all_or_nothing_with_every_bad_row_reported(run: Any, current: Term) -> None:
    bad = HEADER + (
        "P,resolution,2025-2030,1,2026-01-05,Một,,,,,\n"
        "P,poem,2025-2030,2,2026-01-05,Thơ,,,,,\n"
        "P,decision,2025-2030,3,2026-01-05,Ba,,,,,\n"
        "P,regulation,2025-2030,3,2026-01-05,Cùng số QĐ,,,,,\n"
        "P,plan,2025-2030,4,2025-01-05,Trước nhiệm kỳ,,,,,\n"
        "P,plan,2025-2030,5,2026-01-05,,,,,,\n"
        "NOPE,plan,2025-2030,6,2026-01-05,Đơn vị lạ,,,,,\n"
        "P,plan,XIII,7,2026-01-05,Nhiệm kỳ lạ,,,,,\n"
        "P,resolution,2025-2030,1,2026-01-05,Một lần nữa,,,,,\n"
    )
    report = run("documents", bad)
    assert not report.committed and Document.objects.count() == 0
    assert sorted((e.row, e.column, e.code) for e in report.errors) == [
        (3, "type", "document.type_unknown"),
        (5, "number", "document.number_taken"),
        (6, "date", "document.date_outside_term"),
        (7, "title", "value.required"),
        (8, "issuer_code", "import.unit_unknown"),
        (9, "term", "import.term_unknown"),
        (10, "number", "import.duplicate_row"),
    ]
    sources = {e.code: e.source for e in report.errors}
    assert sources["document.date_outside_term"].startswith("36-HD/VPTW")


def test_a_number_registered_before_is_refused(run: Any, current: Term, actor: Any) -> None:
    run("documents", HEADER + "P,decision,2025-2030,3,2026-01-05,Ba,,,,,\n")
    report = run("documents", HEADER + "P,regulation,2025-2030,3,2026-01-05,Quy định,,,,,\n")
    assert [(e.row, e.code) for e in report.errors] == [(2, "document.number_taken")]


def test_the_role_and_the_scope_of_the_importer_apply(
    run: Any, current: Term, people: SimpleNamespace
) -> None:
    # The clerk of G1 may register G1's documents, not the province's, nor secret ones.
    text = HEADER + (
        "P,plan,2025-2030,1,2026-01-05,Tỉnh,,,,,\n"
        "G1,plan,2020-2025,1,2021-01-05,Mật,,secret,,,\n"
        "G1,plan,2020-2025,2,2021-01-05,Thường,,,,,\n"
    )
    report = run("documents", text, actor=people.clerk)
    assert [(e.row, e.code) for e in report.errors] == [
        (2, "import.unit_unknown"),
        (3, "import.not_allowed_here"),
    ]
    assert run("documents", text, actor=people.viewer).refused_rows


def test_the_export_imports_back_unchanged(run: Any, current: Term, tmp_path: Any) -> None:
    run("documents", REGISTER)
    out = io.BytesIO()
    assert export_table(actor=None, kind="documents", out=out, fmt="csv") == 4
    text = out.getvalue().decode("utf-8-sig")
    assert text.splitlines()[0].startswith(HEADER.strip())
    assert "12-QĐi/HU" in text and "28-NQ/TU" not in text  # rendered symbols are rendered again
    again = run("documents", text)
    assert (again.ok, again.unchanged) == (True, 4), again.as_dict()
    path = tmp_path / "register.xlsx"
    call_command("export", "documents", "--output", str(path), stdout=io.StringIO())
    assert run("documents", str(path)).unchanged == 4


def test_a_role_without_the_grant_exports_no_confidential_document(
    run: Any, current: Term, people: SimpleNamespace
) -> None:
    run("documents", REGISTER)
    out = io.BytesIO()
    export_table(actor=people.viewer, kind="documents", out=out, fmt="csv")
    assert out.getvalue().decode("utf-8-sig").count("\n") == 1  # G1 issued nothing
    organizer = io.BytesIO()
    export_table(actor=people.organizer, kind="documents", out=organizer, fmt="csv")
    assert "Quyết định" in organizer.getvalue().decode("utf-8-sig")
