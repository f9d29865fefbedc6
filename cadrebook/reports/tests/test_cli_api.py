"""`cadrebook report stats|rebuild` and `GET /api/v1/reports/stats`."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from cadrebook.accounts.services import role_grant

D = dt.date


@pytest.fixture
def members(tree: SimpleNamespace, make_member: Any) -> None:
    for _ in range(3):
        make_member(tree.K1, D(1990, 1, 1), D(2022, 5, 1), recognized=True)
    make_member(tree.GC, D(1998, 1, 1), D(2024, 2, 1))


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_stats_as_json(members: None) -> None:
    data = json.loads(run("stats", "--unit", "P", "--from", "2024-01-01", "--to", "2024-12-31"))
    assert data["unit"] == "P"
    assert (data["from"], data["to"], data["as_of"]) == ("2024-01-01", "2024-12-31", "2024-12-31")
    assert data["members"]["total"] == 4
    assert data["movements"]["admitted"] == 1
    assert data["previous"]["members"]["total"] == 3
    assert data["change_pct"]["members"]["total"] == 33.33
    assert [c["unit"] for c in data["children"]] == ["C1", "C2"]
    assert data["source"] == "periods"


def test_as_of_is_its_own_date(members: None) -> None:
    data = json.loads(
        run(
            "stats", "--unit", "C2", "--from", "2024-01-01", "--to", "2024-12-31",
            "--as-of", "2024-01-31",
        )
    )  # fmt: skip
    assert data["as_of"] == "2024-01-31"
    assert data["members"]["total"] == 0
    assert data["movements"]["admitted"] == 1


def test_stats_to_a_file(members: None, tmp_path: Path) -> None:
    target = tmp_path / "stats.json"
    run(
        "stats",
        "--unit",
        "C1",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--output",
        str(target),
    )
    assert json.loads(target.read_text(encoding="utf-8"))["members"]["full"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--unit", "NOPE", "--from", "2024-01-01", "--to", "2024-12-31"], "No unit"),
        (["--unit", "P", "--from", "2024-02-30", "--to", "2024-12-31"], "2024-02-30"),
        (["--unit", "P", "--from", "2024-12-31", "--to", "2024-01-01"], "after its end"),
        (
            ["--unit", "P", "--from", "2024-01-01", "--to", "2024-12-31", "--format", "xlsx"],
            "--output",
        ),
        (["--unit", "P", "--from", "2024-01-01", "--to", "2024-12-31", "--output", "x.doc"], "doc"),
    ],
)
def test_bad_input_is_refused_clearly(tree: SimpleNamespace, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("stats", *args)


def test_a_user_reads_only_their_subtree(
    tree: SimpleNamespace, members: None, actor: Any, django_user_model: Any
) -> None:
    officer = django_user_model.objects.create_user(username="officer")
    role_grant(actor=actor, user=officer, role="viewer", unit=tree.C2)
    data = json.loads(
        run(
            "stats",
            "--unit",
            "C2",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--user",
            "officer",
        )
    )
    assert data["members"]["total"] == 1
    with pytest.raises(CommandError, match="No unit"):
        run(
            "stats",
            "--unit",
            "C1",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--user",
            "officer",
        )


def test_rebuild_then_the_aggregates_answer(members: None) -> None:
    assert "Rebuilt the statistics" in run("rebuild")
    data = json.loads(run("stats", "--unit", "P", "--from", "2024-01-01", "--to", "2024-12-31"))
    assert data["source"] == "snapshot"
    assert data["members"]["total"] == 4


URL = "/api/v1/reports/stats"


@pytest.fixture
def officer(tree: SimpleNamespace, actor: Any, django_user_model: Any, client: Any) -> Any:
    user = django_user_model.objects.create_user(username="officer")
    role_grant(actor=actor, user=user, role="viewer", unit=tree.C1)
    client.force_login(user)
    return user


def test_api_answers_for_a_unit_in_scope(members: None, officer: Any, client: Any) -> None:
    response = client.get(URL, {"unit": "C1", "from": "2024-01-01", "to": "2024-12-31"})
    assert response.status_code == 200
    body = response.json()
    assert body["members"]["total"] == 3
    assert body["from"] == "2024-01-01"
    assert body["previous"]["from"] == "2023-01-01"
    assert [c["unit"] for c in body["children"]] == ["G1"]


def test_api_hides_units_out_of_scope(members: None, officer: Any, client: Any) -> None:
    for code in ("C2", "P", "NOPE"):
        response = client.get(URL, {"unit": code, "from": "2024-01-01", "to": "2024-12-31"})
        assert response.status_code == 404, code


def test_api_refuses_bad_input(members: None, officer: Any, client: Any) -> None:
    response = client.get(URL, {"unit": "C1", "from": "2024-12-31", "to": "2024-01-01"})
    assert response.status_code == 422
    assert response.json()["code"] == "report.period_reversed"
    response = client.get(URL, {"unit": "C1", "from": "2024-13-01", "to": "2024-12-31"})
    assert response.status_code == 422
    assert client.get(URL, {"unit": "C1"}).status_code == 422


def test_api_needs_authentication(members: None, client: Any) -> None:
    response = client.get(URL, {"unit": "P", "from": "2024-01-01", "to": "2024-12-31"})
    assert response.status_code == 401


def test_an_import_rebuilds_the_statistics(
    tree: SimpleNamespace, members: None, settings: Any, tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    from cadrebook.imports.services import import_file
    from cadrebook.reports.aggregates import AggregateSource, best_source

    settings.CADREBOOK_STATS_REBUILD_AFTER_IMPORT = True
    path = tmp_path / "units.csv"
    path.write_text("code,name,kind,parent_code,founded_on\nK9,Cell 9,cell,G1,2020-01-01\n")
    assert not isinstance(best_source(), AggregateSource)
    with django_capture_on_commit_callbacks(execute=True):
        job, report = import_file(actor=None, kind="units", path=str(path), report_file=False)
    assert report.committed
    assert isinstance(best_source(), AggregateSource)


def test_rebuild_if_stale_skips_a_current_build(members: None) -> None:
    assert "Rebuilt" in run("rebuild", "--if-stale")
    assert "nothing to rebuild" in run("rebuild", "--if-stale")


def test_seconds_until_the_nightly_rebuild() -> None:
    from cadrebook.core.management.commands.serve import seconds_until

    now = dt.datetime(2026, 11, 24, 23, 0)
    assert seconds_until("02:30", now) == 3.5 * 3600
    assert seconds_until("23:00", now) == 24 * 3600


def test_stats_as_csv_xlsx_and_pdf(members: None, tmp_path: Path) -> None:
    text = run(
        "stats", "--unit", "P", "--from", "2024-01-01", "--to", "2024-12-31", "--format", "csv"
    )
    assert text.startswith("section,figure,value\n") and "members,total,4\n" in text
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
        target = tmp_path / f"stats.{fmt}"
        run("stats", "--unit", "P", "--from", "2024-01-01", "--to", "2024-12-31",
            "--language", "km", "--output", str(target))  # fmt: skip
        assert target.read_bytes().startswith(magic)
