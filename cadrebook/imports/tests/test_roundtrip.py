"""Export → import into an empty database gives the same records, hence the same reports.

A demo organization (the generator's, at an eighth of the demo's size: what is checked is
the round trip of every kind of row, not the volume) is exported (units, members, events,
targets); a second, empty database is built by the command line in a subprocess (SQLite, whatever the test database
is) from those files; its own exports must equal the first ones byte for byte, and its
membership periods — which every report is computed from — must equal the first ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from cadrebook.demo.generator import generate
from cadrebook.evaluations.services import target_set
from cadrebook.imports.exporting import export_table
from cadrebook.members.models import MemberPeriod
from cadrebook.orgs.models import OrgUnit

KINDS = ("units", "members", "events", "targets")
MEMBERS = 1000
# Members without an external id of their own are exported as cadrebook:<id>; the import
# gives them that id again (the ids are the deployment's own), so they compare the same way.
PERIODS_SCRIPT = """
import json
from cadrebook.members.models import MemberPeriod
rows = MemberPeriod.objects.values_list(
    "member_id", "member__external_id", "unit__code", "status", "exempt", "valid_from",
    "valid_to"
)
print(json.dumps(sorted([[str(v) for v in [e or f"cadrebook:{pk}", *rest]]
                         for pk, e, *rest in rows])))
"""


def _periods_here() -> list[list[str]]:
    rows = MemberPeriod.objects.values_list(
        "member_id",
        "member__external_id",
        "unit__code",
        "status",
        "exempt",
        "valid_from",
        "valid_to",
    )
    out = []
    for pk, ext, *rest in rows:
        out.append([str(v) for v in [ext or f"cadrebook:{pk}", *rest]])
    return sorted(out)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    done = subprocess.run(
        [sys.executable, manage, *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


@pytest.mark.django_db
def test_export_then_import_into_an_empty_database_gives_identical_records(tmp_path):
    generate(seed=1, communes=3, grassroots_per_commune=4, members=MEMBERS)
    root = OrgUnit.objects.filter(depth=1).first()
    assert root is not None
    target_set(actor=None, unit=root, year=2024, indicator="admissions", target=820)
    target_set(actor=None, unit=root, year=2024, indicator="recognitions", target=700)

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for kind in KINDS:
        with (first / f"{kind}.csv").open("wb") as out:
            export_table(actor=None, kind=kind, out=out, fmt="csv")

    env = {
        **os.environ,
        "CADREBOOK_VAR_DIR": str(tmp_path / "var"),
        "CADREBOOK_DATABASE_URL": "sqlite:///" + str(tmp_path / "empty.sqlite3"),
        "CADREBOOK_REPLICA_URL": "",  # a SQLite database of its own has no replica
        "CADREBOOK_DEBUG": "true",
    }
    _cli(env, "migrate", "-v0")
    _cli(env, "import", "units", str(first / "units.csv"))
    _cli(env, "import", "members", str(first / "members.csv"), "--personal-only")
    _cli(env, "import", "events", str(first / "events.csv"))
    _cli(env, "import", "targets", str(first / "targets.csv"))
    for kind in KINDS:
        _cli(env, "export", kind, "--output", str(second / f"{kind}.csv"))

    for kind in KINDS:
        a = (first / f"{kind}.csv").read_bytes()
        b = (second / f"{kind}.csv").read_bytes()
        assert a == b, f"the {kind} exports differ"
    assert len((first / "members.csv").read_bytes().splitlines()) == MEMBERS + 1

    output = _cli(env, "shell", "--no-imports", "-c", PERIODS_SCRIPT).stdout
    theirs = json.loads(output.strip().splitlines()[-1])
    assert theirs == _periods_here()
