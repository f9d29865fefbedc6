"""The declared actions: who holds what, and a misspelled action failing loudly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core import permissions
from cadrebook.core.permissions import check_declared_actions, declared_actions, role_actions
from cadrebook.core.scoping import scope_for
from cadrebook.orgs.models import OrgUnit

# What each role may do (docs/architecture.md, "Roles and actions"): the declarations must
# add up to this.
DOCUMENTS = {"issue_documents", "view_restricted_documents", "view_secret_documents"}
# The evaluation: the cell's clerk records self-assessments and proposals; the committee's
# office (organizer) decides.
EVALUATION = {"evaluate", "decide_evaluations"}
# Inspection and discipline: confidential files, the inspection committee's people only.
INSPECTION = {"inspect", "view_inspections", "decide_discipline"}
# Cadre work: the organization board (organizer) records posts, elections and appointments.
CADRES = {"manage_cadres"}
EXPECTED = {
    Role.VIEWER: {"view"},
    Role.CLERK: {
        "view",
        "view_sensitive",
        "change",
        "issue_documents",
        "view_restricted_documents",
        "evaluate",
    },
    Role.ORGANIZER: {
        "view",
        "view_sensitive",
        "change",
        "manage_units",
        "audit",
        *DOCUMENTS,
        *EVALUATION,
        *CADRES,
    },
    Role.INSPECTOR: {
        "view",
        "view_sensitive",
        "audit",
        "view_restricted_documents",
        "view_secret_documents",
        *INSPECTION,
    },
    Role.ADMINISTRATOR: {
        "view",
        "view_sensitive",
        "change",
        "manage_units",
        "audit",
        "admin",
        *DOCUMENTS,
        *EVALUATION,
        *INSPECTION,
        *CADRES,
    },
}


def test_each_role_holds_what_the_declarations_give_it():
    assert {role: set(role_actions(role)) for role in Role.values} == EXPECTED


def test_the_start_up_check_passes_and_finds_an_action_nobody_holds(monkeypatch):
    assert check_declared_actions() == []
    monkeypatch.setitem(
        permissions._DECLARED, "orphan", permissions.DeclaredAction("orphan", "Orphan")
    )
    [error] = check_declared_actions()
    assert error.id == "cadrebook.E001" and "orphan" in error.msg


def test_an_action_is_declared_once():
    with pytest.raises(ImproperlyConfigured, match="declared twice"):
        permissions.declare_action("view", label="again")


@pytest.mark.django_db
def test_a_misspelled_action_is_refused_not_read_as_no_access():
    user = get_user_model().objects.create_user("someone", password="x")
    role_grant(actor=None, user=user, role=Role.ADMINISTRATOR, unit=None)
    with pytest.raises(ImproperlyConfigured, match="Unknown action 'chnage'"):
        scope_for(user, "chnage")
    with pytest.raises(ImproperlyConfigured):
        list(OrgUnit.objects.visible_to(user, "veiw"))
    with pytest.raises(ImproperlyConfigured):  # signed in or not
        scope_for(None, "chnage")


# Calls whose action argument must be a declared constant, not a string written in place.
CHECKED_CALLS = {
    "visible_to": 1,
    "scope_for": 1,
    "can": 1,
    "user_can": 1,
    "user_scope": 1,
    "get_visible_or_404": 2,
}


def _literal_actions(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        position = CHECKED_CALLS.get(name)
        if position is None:
            continue
        args = [*node.args, *(k.value for k in node.keywords if k.arg == "action")]
        if len(args) > position:
            arg = args[position] if position < len(node.args) else args[-1]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append(f"{path}:{node.lineno} {name}(..., {arg.value!r})")
    return found


def test_call_sites_name_actions_by_their_declared_constant():
    root = Path(permissions.__file__).resolve().parents[1]
    offenders = [
        hit
        for path in sorted(root.rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
        for hit in _literal_actions(path)
    ]
    assert offenders == []


def test_every_declared_action_has_a_label():
    assert all(str(a.label) for a in declared_actions().values())
