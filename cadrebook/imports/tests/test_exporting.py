"""Exports: rows and columns of each kind, scope, masking, neutralization, audit, command,
templates."""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.evaluations.services import target_set
from cadrebook.imports.exporting import export_filename, export_table
from cadrebook.imports.formats import FORMATS
from cadrebook.imports.templates_files import template_bytes
from cadrebook.members import services as ms
from cadrebook.members.models import Member

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example","click")'


def names(kind: str) -> list[str]:
    return [c.name for c in FORMATS[kind]]


@pytest.fixture
def world(tree, make_member, actor, django_user_model) -> SimpleNamespace:
    """Members in K1 (full, external id, card), K2 (applicant with a hostile name) and GC
    (probationary); targets on C1 and C2; users granted national, C1 (viewer), G1 (clerk)."""
    an = make_member(
        tree.K1,
        dt.date(1990, 3, 1),
        dt.date(2020, 2, 1),
        recognized=True,
        full_name="Nguyễn Văn An",
        national_id="001090000001",
        phone="0900000001",
        ethnicity="Kinh",
        address="Thôn 1",
        occupation="Nông dân",
    )
    # No service sets an external id yet (only the importer will); a test may.
    Member.objects.filter(pk=an.pk).update(external_id="HR-1")
    ms.member_set_card(actor=actor, member=an, card_number="01.234567")
    evil = make_member(
        tree.K2,
        dt.date(1995, 1, 1),
        registered_on=dt.date(2021, 5, 6),
        full_name=EVIL,
        national_id="001095000002",
    )
    khac = make_member(
        tree.GC,
        dt.date(1985, 6, 2),
        dt.date(2019, 1, 10),
        full_name="Lê Thị Khác",
        gender="female",
        national_id="001085000003",
    )
    target_set(actor=actor, unit=tree.C1, year=2024, indicator="admissions", target=12)
    target_set(actor=actor, unit=tree.C2, year=2024, indicator="recognitions", target=5)
    users = {}
    for username, role, unit in [
        ("national", Role.ADMINISTRATOR, None),
        ("viewer_c1", Role.VIEWER, tree.C1),
        ("clerk_g1", Role.CLERK, tree.G1),
        ("organizer_c2", Role.ORGANIZER, tree.C2),
    ]:
        users[username] = django_user_model.objects.create_user(username=username)
        role_grant(actor=None, user=users[username], role=role, unit=unit)
    return SimpleNamespace(
        tree=tree,
        an=Member.objects.get(pk=an.pk),
        evil=evil,
        khac=khac,
        users=users,
    )


def run(kind: str, *, actor: Any = None, fmt: str = "csv", **kw: Any) -> tuple[list[list], int]:
    """Export and read the file back: (rows including the header row, count)."""
    out = io.BytesIO()
    count = export_table(actor=actor, kind=kind, out=out, fmt=fmt, **kw)
    if fmt == "csv":
        data = out.getvalue()
        assert data.startswith(b"\xef\xbb\xbf")
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))), count
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["data"]
    return [list(r) for r in sheet.iter_rows()], count


def by_column(kind: str, rows: list[list]) -> list[dict[str, Any]]:
    assert rows[0] == names(kind)
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def last_audit() -> AuditEntry:
    return AuditEntry.objects.filter(action="export").latest("id")


# Units ------------------------------------------------------------------------------------
def test_units_export_lists_every_unit_parents_before_children(world):
    rows, count = run("units")
    units = by_column("units", rows)
    assert count == 7
    assert [u["code"] for u in units] == ["P", "C1", "G1", "K1", "K2", "C2", "GC"]
    parents = {u["code"]: u["parent_code"] for u in units}
    assert parents == {
        "P": "",
        "C1": "P",
        "G1": "C1",
        "K1": "G1",
        "K2": "G1",
        "C2": "P",
        "GC": "C2",
    }
    k1 = next(u for u in units if u["code"] == "K1")
    assert k1["kind"] == "cell" and k1["name"] == "Unit K1"


def test_a_moved_unit_is_exported_with_the_date_and_document_of_its_move(world, actor):
    from cadrebook.members import services as ms

    ms.unit_move(
        actor=actor,
        unit=world.tree.G1,
        new_parent=world.tree.C2,
        date=dt.date(2025, 7, 1),
        document="5-NQ/TU",
    )
    units = {u["code"]: u for u in by_column("units", run("units")[0])}
    assert (units["G1"]["parent_code"], units["G1"]["moved_on"]) == ("C2", "2025-07-01")
    assert units["G1"]["document"] == "5-NQ/TU"
    assert units["K1"]["moved_on"] == "2025-07-01"  # its line changed with G1
    assert units["C1"]["moved_on"] in ("", None)


def test_a_subtree_export_still_names_the_parent_outside_it(world):
    rows, _ = run("units", unit=world.tree.G1)
    units = by_column("units", rows)
    assert [(u["code"], u["parent_code"]) for u in units] == [
        ("G1", "C1"),
        ("K1", "G1"),
        ("K2", "G1"),
    ]


def test_units_in_xlsx_have_date_cells(world, actor):
    from cadrebook.orgs.models import OrgUnit

    OrgUnit.objects.filter(code="K2").update(founded_on=dt.date(2001, 9, 2))
    rows, _ = run("units", fmt="xlsx", unit=world.tree.G1)
    header = [c.value for c in rows[0]]
    assert header == names("units")
    k2 = next(r for r in rows if r[0].value == "K2")
    founded = k2[header.index("founded_on")]
    assert founded.data_type == "d" and founded.value.date() == dt.date(2001, 9, 2)
    assert k2[header.index("dissolved_on")].value is None


# Members ----------------------------------------------------------------------------------
def test_members_export_has_every_column_and_the_current_state(world):
    rows, count = run("members")
    members = {m["full_name"]: m for m in by_column("members", rows)}
    assert count == 3
    an = members["Nguyễn Văn An"]
    assert an == {
        "external_id": "HR-1",
        "full_name": "Nguyễn Văn An",
        "gender": "male",
        "birth_date": "1990-03-01",
        "ethnicity": "Kinh",
        "national_id": "001090000001",
        "unit_code": "K1",
        "status": "full",
        "registered_on": "2020-02-01",
        "admitted_on": "2020-02-01",
        "recognized_on": "2021-02-01",
        "card_number": "01.234567",
        "hometown": "",
        "education_level": "",
        "theory_level": "",
        "occupation": "Nông dân",
        "phone": "0900000001",
        "address": "Thôn 1",
    }
    evil = members["'" + EVIL]
    assert evil["external_id"] == f"cadrebook:{world.evil.pk}"
    assert evil["status"] == "applicant"
    assert evil["registered_on"] == "2021-05-06"
    assert evil["admitted_on"] == "" and evil["card_number"] == ""
    assert members["Lê Thị Khác"]["status"] == "probationary"


def test_members_export_neutralizes_formulas_in_xlsx_and_keeps_types(world):
    rows, _ = run("members", fmt="xlsx")
    header = [c.value for c in rows[0]]
    cells = {r[header.index("full_name")].value: r for r in rows[1:]}
    evil = cells["'" + EVIL][header.index("full_name")]
    assert evil.data_type == "s"  # text, not "f": the spreadsheet runs nothing
    an = cells["Nguyễn Văn An"]
    birth = an[header.index("birth_date")]
    assert birth.data_type == "d" and birth.value.date() == dt.date(1990, 3, 1)
    national_id = an[header.index("national_id")]
    assert national_id.value == "001090000001" and national_id.data_type == "s"


def test_members_export_shows_the_corrected_registration_date(world, actor):
    registration = world.evil.events.get(type="registered")
    ms.member_correct_event(
        actor=actor, event=registration, reason="typo", date=dt.date(2021, 4, 1)
    )
    rows, _ = run("members")
    evil = next(m for m in by_column("members", rows) if m["full_name"] == "'" + EVIL)
    assert evil["registered_on"] == "2021-04-01"


def test_a_user_granted_one_subtree_exports_only_its_members(world):
    rows, count = run("members", actor=world.users["viewer_c1"])
    assert count == 2
    assert {m["unit_code"] for m in by_column("members", rows)} == {"K1", "K2"}
    rows, count = run("members", actor=world.users["organizer_c2"])
    assert [m["full_name"] for m in by_column("members", rows)] == ["Lê Thị Khác"]


def test_a_user_granted_one_subtree_exports_only_its_units(world):
    rows, _ = run("units", actor=world.users["viewer_c1"])
    units = by_column("units", rows)
    assert [(u["code"], u["parent_code"]) for u in units] == [
        ("C1", "P"),
        ("G1", "C1"),
        ("K1", "G1"),
        ("K2", "G1"),
    ]


def test_a_viewer_gets_sensitive_fields_masked(world):
    rows, _ = run("members", actor=world.users["viewer_c1"])
    an = next(m for m in by_column("members", rows) if m["full_name"] == "Nguyễn Văn An")
    for field in ("national_id", "ethnicity", "birth_date", "phone", "address"):
        assert an[field] == "••••", field
    assert an["occupation"] == "Nông dân"  # not sensitive
    assert an["card_number"] == "01.234567"
    assert last_audit().after["masked"] is True


def test_a_clerk_gets_sensitive_fields_unmasked(world):
    rows, count = run("members", actor=world.users["clerk_g1"])
    assert count == 2
    an = next(m for m in by_column("members", rows) if m["full_name"] == "Nguyễn Văn An")
    assert an["national_id"] == "001090000001"
    assert an["birth_date"] == "1990-03-01"
    assert last_audit().after["masked"] is False


def test_masking_follows_each_members_unit(world):
    viewer = world.users["clerk_g1"]
    role_grant(actor=None, user=viewer, role=Role.VIEWER, unit=world.tree.C2)
    rows, count = run("members", actor=viewer)
    members = {m["full_name"]: m for m in by_column("members", rows)}
    assert count == 3
    assert members["Nguyễn Văn An"]["national_id"] == "001090000001"
    assert members["Lê Thị Khác"]["national_id"] == "••••"


def test_masked_dates_are_text_in_xlsx(world):
    rows, _ = run("members", actor=world.users["viewer_c1"], fmt="xlsx")
    header = [c.value for c in rows[0]]
    birth = rows[1][header.index("birth_date")]
    assert birth.value == "••••" and birth.data_type == "s"


def test_vietnamese_headers(world):
    rows, _ = run("members", headers="vi")
    assert rows[0] == [c.vi for c in FORMATS["members"]]
    assert len(rows) == 4


# Events -----------------------------------------------------------------------------------
def test_events_export_lists_each_members_history_in_order(world):
    rows, count = run("events")
    events = by_column("events", rows)
    assert count == len(events) == 6
    an = [(e["type"], e["date"], e["unit_code"]) for e in events if e["external_id"] == "HR-1"]
    assert an == [
        ("registered", "2020-02-01", "K1"),
        ("admitted", "2020-02-01", ""),  # in the cell of registration: stored without one
        ("recognized", "2021-02-01", ""),
    ]
    ids = [e["external_id"] for e in events]
    assert ids == sorted(ids, key=ids.index)  # grouped by member
    assert f"cadrebook:{world.evil.pk}" in ids


def test_events_export_applies_corrections_and_leaves_them_out(world, actor):
    admission = world.khac.events.get(type="admitted")
    ms.member_correct_event(
        actor=actor, event=admission, reason="wrong date", date=dt.date(2019, 1, 15)
    )
    host = ms.member_temporary_transfer(
        taken_over=True,
        actor=actor,
        member=world.khac,
        date=dt.date(2019, 6, 1),
        host=world.tree.K1,
    )
    ms.member_correct_event(actor=actor, event=host, reason="never happened", void=True)
    rows, _ = run("events")
    events = by_column("events", rows)
    assert "correction" not in {e["type"] for e in events}
    khac = [
        (e["type"], e["date"]) for e in events if e["external_id"] == f"cadrebook:{world.khac.pk}"
    ]
    assert khac == [("registered", "2019-01-10"), ("admitted", "2019-01-15")]


def test_events_export_carries_transfers_documents_and_reasons(world, actor):
    ms.member_transfer(
        actor=actor,
        member=world.an,
        date=dt.date(2022, 3, 1),
        to_unit=world.tree.K2,
        document="12-QĐ/ĐU",
        reason="moved house",
    )
    rows, _ = run("events", fmt="xlsx")
    header = [c.value for c in rows[0]]
    out = [r for r in rows[1:] if r[header.index("type")].value == "transfer_out"][0]
    values = {h: c.value for h, c in zip(header, out, strict=True)}
    assert values["to_unit_code"] == "K2"
    assert values["document"] == "12-QĐ/ĐU"
    assert values["reason"] == "moved house"
    assert out[header.index("date")].data_type == "d"


def test_events_export_is_scoped_by_the_members_current_unit(world):
    rows, count = run("events", actor=world.users["organizer_c2"])
    assert {e["external_id"] for e in by_column("events", rows)} == {f"cadrebook:{world.khac.pk}"}
    assert count == 2


def test_events_export_does_not_query_per_member(world, make_member):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            run("events", unit=world.tree.P)
        return len(ctx.captured_queries)

    before = queries()
    for i in range(4):
        make_member(world.tree.K2, dt.date(1990, 1, 1), dt.date(2020, 1, 1 + i))
    assert queries() == before


def test_members_export_does_not_query_per_member(world, make_member, django_user_model):
    def queries() -> int:
        viewer = django_user_model.objects.get(username="viewer_c1")  # no cached scopes
        with CaptureQueriesContext(connection) as ctx:
            run("members", actor=viewer)
        return len(ctx.captured_queries)

    before = queries()
    for i in range(4):
        make_member(world.tree.K2, dt.date(1990, 1, 1), dt.date(2020, 1, 1 + i))
    assert queries() == before


# Targets ----------------------------------------------------------------------------------
def test_targets_export(world):
    rows, count = run("targets")
    assert count == 2
    assert by_column("targets", rows) == [
        {"unit_code": "C1", "year": "2024", "indicator": "admissions", "target": "12"},
        {"unit_code": "C2", "year": "2024", "indicator": "recognitions", "target": "5"},
    ]
    rows, _ = run("targets", fmt="xlsx", actor=world.users["viewer_c1"])
    assert [[c.value for c in r] for r in rows] == [
        names("targets"),
        ["C1", 2024, "admissions", 12],
    ]
    assert rows[1][1].data_type == "n"


# Audit ------------------------------------------------------------------------------------
def test_every_export_writes_one_audit_entry(world):
    viewer = world.users["viewer_c1"]
    before = AuditEntry.objects.count()
    run("members", actor=viewer, unit=world.tree.G1, fmt="xlsx")
    assert AuditEntry.objects.count() == before + 1
    entry = last_audit()
    assert entry.event_type == "export.members"
    assert entry.actor == viewer
    assert entry.unit == world.tree.G1
    assert entry.object_type == "orgs.orgunit" and entry.object_id == str(world.tree.G1.pk)
    assert entry.after == {
        "kind": "members",
        "format": "xlsx",
        "rows": 2,
        "masked": True,
        "unit": "G1",
    }


def test_a_national_export_is_audited_on_the_user_and_scoped_to_the_root(world):
    user = world.users["national"]
    run("units", actor=user)
    entry = last_audit()
    assert entry.unit == world.tree.P and entry.unit_path == world.tree.P.path
    assert entry.object_type == user._meta.label_lower and entry.object_id == str(user.pk)
    assert entry.after["unit"] == "" and entry.after["rows"] == 7


def test_an_export_without_a_unit_is_scoped_to_what_the_user_may_read(world):
    # Not to no unit at all (unit_path ""): the auditors of C1 read who took C1's records.
    run("members", actor=world.users["viewer_c1"])
    entry = last_audit()
    assert entry.unit == world.tree.C1 and entry.unit_path == world.tree.C1.path
    assert entry.after["unit"] == ""


def test_a_system_export_is_audited_on_the_root(world):
    run("targets")
    entry = last_audit()
    assert entry.actor is None and entry.actor_name == "system"
    assert entry.object_id == str(world.tree.P.pk)
    assert entry.event_type == "export.targets"


def test_an_empty_export_is_audited_too(world):
    rows, count = run("targets", unit=world.tree.K1)
    assert count == 0 and rows == [names("targets")]
    assert last_audit().after["rows"] == 0


def test_an_export_of_an_empty_database_writes_the_header(db):
    rows, count = run("units")
    assert count == 0 and rows == [names("units")]
    assert not AuditEntry.objects.filter(action="export").exists()


def test_an_export_that_fails_midway_is_audited_as_failed(world, monkeypatch):
    from cadrebook.imports import exporting

    def broken(*args: Any) -> Any:
        yield {c: "" for c in names("units")}
        raise RuntimeError("disk full")

    monkeypatch.setitem(exporting._PRODUCERS, "units", broken)
    with pytest.raises(RuntimeError):
        run("units", fmt="xlsx")
    assert last_audit().after["failed"] is True
    assert last_audit().after["rows"] == 1


def test_unknown_kinds_and_formats_are_refused(world):
    with pytest.raises(ValueError):
        export_table(actor=None, kind="cadres", out=io.BytesIO())
    with pytest.raises(ValueError):
        export_table(actor=None, kind="units", out=io.BytesIO(), fmt="ods")
    with pytest.raises(ValueError):
        export_table(actor=None, kind="units", out=io.BytesIO(), headers="fr")


def test_export_filename(world):
    name = export_filename("members", "xlsx", world.tree.K1)
    assert name.startswith("members-K1-") and name.endswith(".xlsx")


# The command ------------------------------------------------------------------------------
def test_command_writes_a_csv_file(world, tmp_path):
    path = tmp_path / "members.csv"
    stdout = io.StringIO()
    call_command("export", "members", "--output", str(path), stdout=stdout)
    assert "3" in stdout.getvalue()
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")))
    assert rows[0] == names("members") and len(rows) == 4
    assert not (tmp_path / "members.csv.part").exists()


def test_command_writes_xlsx_for_a_user_and_a_unit(world, tmp_path):
    path = tmp_path / "events.xlsx"
    call_command(
        "export",
        "events",
        "--unit",
        "G1",
        "--user",
        "viewer_c1",
        "--output",
        str(path),
        "--headers",
        "vi",
        stdout=io.StringIO(),
    )
    sheet = openpyxl.load_workbook(path)["data"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == [c.vi for c in FORMATS["events"]]
    assert len(rows) == 1 + 3 + 1  # An's three events, the applicant's registration
    entry = last_audit()
    assert entry.actor == world.users["viewer_c1"] and entry.after["unit"] == "G1"


def test_command_writes_csv_to_standard_output(world):
    stdout = io.StringIO()
    call_command("export", "targets", stdout=stdout, stderr=io.StringIO())
    rows = list(csv.reader(io.StringIO(stdout.getvalue().lstrip("\ufeff"), newline="")))
    assert rows == [
        names("targets"),
        ["C1", "2024", "admissions", "12"],
        ["C2", "2024", "recognitions", "5"],
    ]


def test_command_refuses_an_unknown_unit(world):
    with pytest.raises(CommandError, match="No unit with code NOPE"):
        call_command("export", "units", "--unit", "NOPE", stdout=io.StringIO())


def test_command_refuses_a_unit_outside_the_users_scope_as_if_unknown(world):
    with pytest.raises(CommandError, match="No unit with code C2 that you may see"):
        call_command("export", "units", "--unit", "C2", "--user", "viewer_c1", stdout=io.StringIO())


def test_command_refuses_an_unknown_user(world):
    with pytest.raises(CommandError, match="No user named ghost"):
        call_command("export", "units", "--user", "ghost", stdout=io.StringIO())


def test_command_refuses_xlsx_to_standard_output(world):
    with pytest.raises(CommandError, match="--output"):
        call_command("export", "units", "--format", "xlsx", stdout=io.StringIO())


def test_command_refuses_an_xlsx_too_large_and_leaves_no_file(world, tmp_path, monkeypatch):
    from cadrebook.core import spreadsheets

    monkeypatch.setattr(spreadsheets, "XLSX_MAX_ROWS", 3)
    path = tmp_path / "units.xlsx"
    with pytest.raises(CommandError, match="Export as CSV"):
        call_command("export", "units", "--output", str(path), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []
    assert last_audit().after["failed"] is True


# Templates --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(FORMATS))
def test_csv_template_is_the_header_row(kind):
    data = template_bytes(kind, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == [names(kind)]


@pytest.mark.parametrize("kind", list(FORMATS))
def test_xlsx_template_has_the_headers_and_explains_every_column(kind):
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(kind, "xlsx")))
    assert book.sheetnames == ["data", "columns"]
    assert [[c.value for c in r] for r in book["data"].iter_rows()] == [names(kind)]
    explained = [[c.value for c in r] for r in book["columns"].iter_rows()][1:]
    assert [r[0] for r in explained] == names(kind)
    assert [r[1] for r in explained] == [c.vi for c in FORMATS[kind]]
    assert [r[2] for r in explained] == ["yes" if c.required else "no" for c in FORMATS[kind]]
    assert [r[3] for r in explained] == [c.type for c in FORMATS[kind]]


def test_template_with_vietnamese_headers():
    data = template_bytes("targets", "csv", headers="vi")
    assert data.decode("utf-8-sig").strip() == ",".join(c.vi for c in FORMATS["targets"])


def test_template_refuses_unknown_kinds_and_formats():
    with pytest.raises(ValueError):
        template_bytes("cadres", "csv")
    with pytest.raises(ValueError):
        template_bytes("units", "ods")
