"""An import by someone who may see the records but whose role may not change them is told
so — not that the records lie outside their part of the organization (issue 14) — and
records out of their sight are refused as before, as if they did not exist."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from cadrebook.imports.models import ImportJob
from cadrebook.members.models import Member

from .samples import APPL, HEAD

D = dt.date
pytestmark = pytest.mark.django_db

ROLE = "import.not_allowed_here"


@pytest.fixture
def viewer_and_clerk(tree, grant):
    """A viewer of G1 (K1, K2) who is a clerk elsewhere (GC): the pages and the API let them
    upload members files, and they see K1's members."""
    user = get_user_model().objects.create_user(username="viewer-clerk")
    grant(user, "viewer", tree.G1)
    grant(user, "clerk", tree.GC)
    return user


def test_a_known_member_the_importer_sees_but_may_not_change_is_refused_for_the_role(
    run, tree, viewer_and_clerk
):
    run("members", HEAD + APPL)  # A3 in K2, by the system
    changed = APPL.replace("Lê Văn Cường", "Lê Văn Cường Mới")
    report = run("members", HEAD + changed, actor=viewer_and_clerk)
    [error] = report.errors
    assert (error.column, error.value, error.code) == ("external_id", "A3", ROLE)
    assert "role" in error.message and "outside your part" not in error.message
    assert Member.objects.get(external_id="A3").full_name == "Lê Văn Cường"


def test_a_new_person_in_a_cell_the_importer_sees_but_may_not_change_is_refused_for_the_role(
    run, tree, viewer_and_clerk
):
    report = run("members", HEAD + APPL, actor=viewer_and_clerk)
    [error] = report.errors
    assert (error.column, error.value, error.code) == ("unit_code", "K2", ROLE)
    assert Member.objects.count() == 0


def test_the_events_of_a_member_the_importer_sees_but_may_not_change_are_refused_for_the_role(
    run, tree, viewer_and_clerk
):
    run("members", HEAD + APPL)
    report = run(
        "events",
        "external_id,type,date,unit_code\nA3,admitted,2020-01-10,\n",
        actor=viewer_and_clerk,
    )
    assert [(e.column, e.code) for e in report.errors] == [("external_id", ROLE)]


def test_records_out_of_the_importers_sight_read_as_before(run, tree, grant):
    """A clerk of K1 sees nothing of K2: the refusals say nothing about what is there."""
    run("members", HEAD + APPL)
    clerk = get_user_model().objects.create_user(username="k1clerk")
    grant(clerk, "clerk", tree.K1)
    known = run("members", HEAD + APPL, actor=clerk)
    assert [e.code for e in known.errors] == ["import.external_id_unavailable"]
    new = run("members", HEAD + APPL.replace("A3,", "A9,"), actor=clerk)
    assert [e.code for e in new.errors] == ["import.unit_unknown"]


def test_a_units_import_names_the_role_for_a_unit_the_importer_sees(run, tree, people):
    """A clerk may see the units of G1 but not manage them."""
    report = run("units", "code,name,kind,parent_code\nK1,Renamed,cell,G1\n", actor=people.clerk)
    assert [(e.column, e.code) for e in report.errors] == [("code", ROLE)]


def test_the_command_line_refuses_a_user_whose_role_may_not_import_anywhere(
    tree, people, write_file
):
    path = write_file(HEAD + APPL)
    with pytest.raises(CommandError) as refused:
        call_command(
            "import", "members", path, "--user", people.viewer.username, stdout=io.StringIO()
        )
    assert refused.value.returncode == 2
    assert "import.not_allowed" in str(refused.value)
    assert not ImportJob.objects.exists()
    assert Member.objects.count() == 0
