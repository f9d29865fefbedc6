"""Backup and restore: demo data → backup → restore into an empty database → every
statistics answer, the audit chain and the exports are identical; and a bad backup, a backup
of the other database, a newer one or a full target are refused with the database unchanged.

The restore runs as an operator runs it: `manage.py restore` in a subprocess, into a new
empty database of the same vendor as the test database (a SQLite file, or a PostgreSQL
database created and dropped here, named after the test database).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from cadrebook.core.audit_chain import entries_in_order, verify
from cadrebook.core.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = dt.date(2025, 6, 30)
UPLOAD = ("7f3c", "members.csv", "external_id,full_name\nX1,Nguyễn Văn A\n".encode())


def answers() -> dict[str, Any]:
    """What users read of a database: statistics of several units over several years (as
    the API serves them), the audit chain's verdict, the members export. JSON-ready.

    Called here and, in the restored database, by a subprocess (`print_answers`). The export
    is recorded in the audit log, so the chain is read first."""
    from cadrebook.imports.exporting import export_table
    from cadrebook.orgs.models import OrgUnit
    from cadrebook.reports.selectors import unit_statistics

    verdict = verify(entries_in_order(AuditEntry.objects.all()))
    units = list(OrgUnit.objects.filter(depth__lte=2).order_by("path")[:4])
    units += list(OrgUnit.objects.filter(depth=4).order_by("path")[:1])
    statistics = {
        f"{unit.code} {year}": unit_statistics(unit, dt.date(year, 1, 1), dt.date(year, 12, 31))
        for unit in units
        for year in (2021, 2023, 2024)
    }
    out = io.BytesIO()
    export_table(actor=None, kind="members", out=out, fmt="csv")
    result = {
        "statistics": statistics,
        "chain": {
            "holds": verdict.holds,
            "entries": verdict.checked,
            "last_id": verdict.last_id,
            "last_hash": verdict.last_hash,
        },
        "members_export": out.getvalue().decode(),
    }
    return json.loads(json.dumps(result, default=str))


def print_answers() -> None:
    print(json.dumps(answers()))


def chain_now() -> dict[str, Any]:
    verdict = verify(entries_in_order(AuditEntry.objects.all()))
    last = AuditEntry.objects.order_by("-id").first()
    return {
        "holds": verdict.holds,
        "entries": verdict.checked,
        "last_event": last.event_type if last else None,
    }


def print_chain() -> None:
    print(json.dumps(chain_now()))


# The restore target: a new empty database of the test database's vendor. --------------------


def _pg_url(name: str) -> str:
    conf = connection.settings_dict
    auth = quote(conf["USER"] or "")
    if conf.get("PASSWORD"):
        auth += ":" + quote(conf["PASSWORD"])
    host = conf.get("HOST") or "localhost"
    port = conf.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{name}"


def _pg_admin(sql: str) -> None:
    import psycopg

    conf = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        user=conf["USER"] or None,
        password=conf.get("PASSWORD") or None,
        host=conf.get("HOST") or None,
        port=conf.get("PORT") or None,
        autocommit=True,
    ) as admin:
        admin.execute(sql)


@pytest.fixture
def empty_target(tmp_path: Path) -> Iterator[str]:
    """The URL of a new empty database (dropped afterwards)."""
    if connection.vendor == "sqlite":
        yield "sqlite:///" + str(tmp_path / "restored.sqlite3")
        return
    name = f"{connection.settings_dict['NAME']}_restored"[:63]
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    done = subprocess.run(
        [sys.executable, manage, *args], env=env, capture_output=True, text=True, timeout=600
    )
    if check:
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


def _shell(env: dict[str, str], function: str) -> Any:
    code = f"from cadrebook.core.tests.test_backup import {function}; {function}()"
    out = _manage(env, "shell", "--no-imports", "-c", code).stdout
    return json.loads(out.strip().splitlines()[-1])


# The round trip ----------------------------------------------------------------------------


def test_demo_data_backed_up_and_restored_into_an_empty_database_reads_the_same(
    tmp_path: Path, empty_target: str, settings: Any
) -> None:
    """The demo as `cadrebook demo` makes it (smaller): a province, its logins, targets and
    built statistics; and an uploaded file."""
    from cadrebook.demo.generator import generate
    from cadrebook.demo.logins import create_demo_users
    from cadrebook.demo.targets import demo_targets
    from cadrebook.orgs.models import OrgUnit
    from cadrebook.reports.aggregates import rebuild_statistics

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    summary = generate(
        seed=3, members=600, years=6, communes=3, grassroots_per_commune=3, today=TODAY
    )
    root = OrgUnit.objects.get(code=summary.root_code)
    create_demo_users(root=root)
    demo_targets(root=root, years=6, today=TODAY)
    rebuild_statistics(today=TODAY)
    folder = Path(settings.IMPORT_DIR) / UPLOAD[0]
    folder.mkdir(parents=True)
    (folder / UPLOAD[1]).write_bytes(UPLOAD[2])
    before = answers()
    assert before["chain"]["holds"] and before["chain"]["entries"] > 1
    assert before["statistics"]["P01 2024"]["members"]["total"] > 0

    backup = tmp_path / "cadrebook.tar.gz"
    call_command("backup", str(backup), stdout=io.StringIO())
    assert AuditEntry.objects.order_by("-id").first().event_type == "backup.created"
    assert oct(backup.stat().st_mode & 0o777) == "0o600"  # personal data: the owner's only
    call_command("backup", "--check", str(backup), stdout=io.StringIO())

    var = tmp_path / "restored-var"
    env = {
        **os.environ,
        "CADREBOOK_DATABASE_URL": empty_target,
        "CADREBOOK_VAR_DIR": str(var),
        "CADREBOOK_DEBUG": "true",
    }
    _manage(env, "restore", str(backup))
    assert _shell(env, "print_chain") == {
        "holds": True,
        "entries": before["chain"]["entries"] + 2,  # the export's entry, then the restore's
        "last_event": "backup.restored",
    }
    after = _shell(env, "print_answers")
    # The restored chain is the backed-up one up to its tip (then the export and the restore).
    assert after["chain"]["holds"]
    assert after["statistics"] == before["statistics"]
    assert after["members_export"] == before["members_export"]
    assert (var / "imports" / UPLOAD[0] / UPLOAD[1]).read_bytes() == UPLOAD[2]
    assert _manage(env, "audit", "verify").returncode == 0

    # A second restore finds the database full: refused, unless replaced on purpose.
    refused = _manage(env, "restore", str(backup), check=False)
    assert refused.returncode != 0 and "is not empty" in refused.stderr
    _manage(env, "restore", str(backup), "--force", "--yes")
    assert _shell(env, "print_chain") == {
        "holds": True,
        "entries": before["chain"]["entries"] + 2,
        "last_event": "backup.restored",
    }


def test_the_restored_chain_is_the_backed_up_one(tmp_path: Path, empty_target: str, tree) -> None:
    """Entry for entry: same ids, same hashes, up to the backup's tip."""
    backup = tmp_path / "b.tar.gz"
    call_command("backup", str(backup), stdout=io.StringIO())
    ours = [(e["id"], e["hash"]) for e in entries_in_order(AuditEntry.objects.all())][:-1]
    env = {
        **os.environ,
        "CADREBOOK_DATABASE_URL": empty_target,
        "CADREBOOK_VAR_DIR": str(tmp_path / "var"),
        "CADREBOOK_DEBUG": "true",
    }
    _manage(env, "restore", str(backup))
    code = (
        "import json; from cadrebook.core.models import AuditEntry; "
        "print(json.dumps(list(AuditEntry.objects.order_by('id').values_list('id', 'hash'))))"
    )
    out = _manage(env, "shell", "--no-imports", "-c", code).stdout
    theirs = [tuple(row) for row in json.loads(out.strip().splitlines()[-1])]
    assert theirs[:-1] == ours  # the backup's own entry is not in it; the restore's is last
    assert len(theirs) == len(ours) + 1


# Refusals: the database is left as it was -----------------------------------------------------


def _state() -> tuple[int, Any]:
    from cadrebook.orgs.models import OrgUnit

    return OrgUnit.objects.count(), AuditEntry.objects.order_by("-id").values_list("hash").first()


def _rewrite(source: Path, target: Path, change: Any) -> None:
    """Copy a backup member by member; `change(name, data)` gives (name, data) to write."""
    with tarfile.open(source, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for info in src.getmembers():
            data = src.extractfile(info).read()
            name, data = change(info.name, data)
            new = tarfile.TarInfo(name)
            new.size = len(data)
            dst.addfile(new, io.BytesIO(data))


@pytest.fixture
def backup_file(tmp_path: Path, tree) -> Path:
    path = tmp_path / "good.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    return path


def _refused(path: Path, *args: str) -> str:
    before = _state()
    with pytest.raises(CommandError) as refusal:
        call_command("restore", str(path), *args, stdout=io.StringIO())
    assert _state() == before
    return str(refusal.value)


def test_a_missing_file_is_named(tmp_path: Path, tree) -> None:
    message = _refused(tmp_path / "nowhere.tar.gz", "--force", "--yes")
    assert "nowhere.tar.gz" in message and "does not exist" in message


def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path, tree) -> None:
    other = tmp_path / "notes.tar.gz"
    other.write_text("not an archive")
    assert "not a Cadrebook backup" in _refused(other, "--force", "--yes")
    with tarfile.open(tmp_path / "plain.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("readme.txt")
        tar.addfile(info, io.BytesIO(b""))
    assert "does not start with manifest.json" in _refused(tmp_path / "plain.tar.gz", "--force")


def test_a_damaged_member_fails_its_checksum(tmp_path: Path, backup_file: Path) -> None:
    damaged = tmp_path / "damaged.tar.gz"

    def flip(name: str, data: bytes) -> tuple[str, bytes]:
        if name.startswith("database."):
            data = data[:-100] + bytes(b ^ 0xFF for b in data[-100:])
        return name, data

    _rewrite(backup_file, damaged, flip)
    message = _refused(damaged, "--force", "--yes")
    assert "damaged" in message and "does not match its checksum" in message
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("backup", "--check", str(damaged), stdout=io.StringIO())


def test_a_backup_missing_a_member_is_incomplete(tmp_path: Path, backup_file: Path) -> None:
    cut = tmp_path / "cut.tar.gz"
    with tarfile.open(backup_file, "r:gz") as src, tarfile.open(cut, "w:gz") as dst:
        manifest = src.extractfile("manifest.json").read()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        dst.addfile(info, io.BytesIO(manifest))
    assert "incomplete" in _refused(cut, "--force", "--yes")


def test_a_backup_of_the_other_database_is_refused(tmp_path: Path, backup_file: Path) -> None:
    ours = connection.vendor
    theirs = "postgresql" if ours == "sqlite" else "sqlite"
    names = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
    other = tmp_path / "other.tar.gz"

    def swap(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["vendor"] = theirs
            manifest["members"][names[theirs]] = manifest["members"].pop(names[ours])
            return name, json.dumps(manifest).encode()
        return (names[theirs] if name == names[ours] else name), data

    _rewrite(backup_file, other, swap)
    message = _refused(other, "--force", "--yes")
    want = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    assert f"backup of a {want[theirs]} database" in message
    assert f"this Cadrebook uses {want[ours]}" in message


def test_a_backup_from_a_newer_cadrebook_is_refused(tmp_path: Path, backup_file: Path) -> None:
    newer = tmp_path / "newer.tar.gz"

    def future(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["migrations"]["core"].append("9999_from_the_future")
            return name, json.dumps(manifest).encode()
        return name, data

    _rewrite(backup_file, newer, future)
    message = _refused(newer, "--force", "--yes")
    assert "newer Cadrebook" in message and "core.9999_from_the_future" in message


def test_a_full_database_is_not_replaced_without_force(backup_file: Path) -> None:
    assert "is not empty" in _refused(backup_file)


def test_replacing_asks_first(backup_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert "cancelled" in _refused(backup_file, "--force")

    def no_terminal(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", no_terminal)  # run from a script: nobody answers
    assert "--yes" in _refused(backup_file, "--force")


def test_the_parts_of_a_backup_are_readable_by_their_owner_alone(backup_file: Path) -> None:
    import tarfile

    with tarfile.open(backup_file) as tar:
        modes = {info.name: info.mode for info in tar.getmembers() if info.isfile()}
    assert modes and all(mode == 0o600 for mode in modes.values()), modes


def test_an_older_backup_is_migrated_after_the_restore(backup_file: Path) -> None:
    """A backup that lacks a migration the code has needs `migrate`; one that has every
    migration does not."""
    from cadrebook.core.backup import check_compatible, read_manifest

    manifest = read_manifest(backup_file)
    assert check_compatible(manifest, backup_file) is False
    manifest.migrations["core"].pop()
    assert check_compatible(manifest, backup_file) is True
