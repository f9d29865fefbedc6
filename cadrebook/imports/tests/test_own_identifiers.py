"""The `cadrebook:<id>` identifiers of the exports are the deployment's own: a row naming one
refers to that member; a new person cannot take one (issue 14). A later member would be
given that id, and an export would then carry it twice."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.imports.exporting import export_table
from cadrebook.members.models import Member

from .samples import HEAD

D = dt.date
pytestmark = pytest.mark.django_db


def person(external_id: str, unit: str = "K1", name: str = "Phạm Văn Mới") -> str:
    return f"{external_id},{name},male,1990-05-06,Kinh,,{unit},applicant,,,\n"


def exported_ids(actor: Any = None) -> list[str]:
    out = io.BytesIO()
    export_table(actor=actor, kind="members", out=out, fmt="csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    return [r["external_id"] for r in rows]


def free_id() -> int:
    return (Member.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 50


def test_a_clerk_cannot_give_a_new_person_an_id_of_the_deployments_own(
    run, tree, make_member, grant
):
    clerk = get_user_model().objects.create_user(username="k1clerk")
    grant(clerk, "clerk", tree.K1)
    make_member(tree.K1, D(1990, 1, 1))
    out_of_sight = make_member(tree.GC, D(1991, 1, 1))  # GC: not in the clerk's part
    missing = free_id()
    before = Member.objects.count()

    unknown = run("members", HEAD + person(f"cadrebook:{missing}"), actor=clerk)
    hidden = run("members", HEAD + person(f"cadrebook:{out_of_sight.pk}"), actor=clerk)

    assert Member.objects.count() == before
    [a], [b] = unknown.errors, hidden.errors
    assert (a.row, a.column, a.code) == (2, "external_id", "import.member_unknown")
    # A free id and an id held out of the clerk's sight get the same answer: nothing tells
    # the clerk that the second one exists.
    assert (b.column, b.code) == (a.column, a.code)
    assert b.message.replace(str(out_of_sight.pk), "N") == a.message.replace(str(missing), "N")


@pytest.mark.parametrize("ext", ["cadrebook:0{pk}", "CADREBOOK:{pk}", "cadrebook:x{pk}"])
def test_other_spellings_of_the_prefix_are_not_taken_either(run, tree, make_member, ext):
    member = make_member(tree.K1, D(1990, 1, 1))
    report = run("members", HEAD + person(ext.format(pk=member.pk)))
    assert [e.code for e in report.errors] == ["import.member_unknown"]
    assert Member.objects.count() == 1


def test_the_system_keeps_the_id_so_no_later_member_collides(run, tree, make_member):
    """The probe's case: a new person named cadrebook:N while nobody has id N, then a member
    created in the application. Imported by the system (which sees everything), the person
    is given the id N itself, so the member created later gets another id and the export
    names everyone once."""
    make_member(tree.K1, D(1990, 1, 1))
    wanted = free_id()
    report = run("members", HEAD + person(f"cadrebook:{wanted}"))
    assert report.ok and report.committed and report.created == 1
    kept = Member.objects.get(pk=wanted)
    assert kept.external_id is None and kept.full_name == "Phạm Văn Mới"
    later = make_member(tree.K1, D(1992, 2, 2))  # through the service, as the API does
    assert later.pk != wanted
    ids = exported_ids()
    assert len(ids) == len(set(ids)) == 3
    assert f"cadrebook:{wanted}" in ids


def test_a_file_mixing_kept_ids_and_new_ids_gives_the_new_ones_ids_nobody_keeps(run, tree):
    """A row with an external id of its own comes before one that keeps cadrebook:N: the first
    must not be given N (the second would then name it)."""
    wanted = free_id()
    text = HEAD + person("X1", name="Người Một") + person(f"cadrebook:{wanted}", name="Người Hai")
    report = run("members", text)
    assert report.ok and report.created == 2, report.errors
    assert Member.objects.get(pk=wanted).full_name == "Người Hai"
    assert Member.objects.get(external_id="X1").pk > wanted


def test_reimporting_an_export_is_still_a_no_op(run, tree, make_member, people):
    for day in (D(1990, 1, 1), D(1991, 1, 1)):
        make_member(tree.K1, day)
    clerk = people.clerk  # on G1
    out = io.BytesIO()
    export_table(actor=clerk, kind="members", out=out, fmt="csv")
    exported = out.getvalue()
    assert exported.count(b"cadrebook:") == 2
    before = list(Member.objects.values_list("pk", "version").order_by("pk"))
    for actor in (clerk, None):
        report = run("members", exported.decode("utf-8-sig"), actor=actor)
        assert report.ok and report.committed, report.errors
        assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list(Member.objects.values_list("pk", "version").order_by("pk")) == before
