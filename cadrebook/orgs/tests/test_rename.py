"""A rename's date and name are checked as a move's are, by the service, so that the API and
the browser accept and refuse the same renames (issue 14): not in the future, not before the
unit was founded or before its last rename or placement, and not to the name it already has
(which would change nothing, and write no audit entry)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.errors import ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.members import services as ms
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.services import unit_create, unit_rename

D = dt.date
FUTURE = D(2099, 1, 1)


def refused(code: str, **kwargs: Any) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        unit_rename(actor=None, **kwargs)
    assert info.value.code == code, info.value
    return info.value


def renames() -> int:
    return AuditEntry.objects.filter(event_type="unit.renamed").count()


@pytest.fixture
def founded(tree: Any) -> OrgUnit:
    """A cell of G1 founded on 2020-03-02."""
    return unit_create(
        actor=None,
        code="K3",
        name="Chi bộ Ba",
        kind="cell",
        parent=tree.G1,
        founded_on=D(2020, 3, 2),
    )


def test_a_rename_dated_in_the_future_is_refused_as_a_move_is(tree: Any) -> None:
    exc = refused("event.in_future", unit=tree.K1, name="Chi bộ Mới", date=FUTURE)
    assert exc.field == "date" and "2099-01-01" in exc.message
    with pytest.raises(ServiceError) as move:
        ms.unit_move(actor=None, unit=tree.K1, new_parent=tree.G1, date=FUTURE)
    assert (move.value.code, move.value.message) == (exc.code, exc.message)
    assert OrgUnit.objects.get(pk=tree.K1.pk).name == "Unit K1" and renames() == 0


def test_a_rename_before_the_unit_was_founded_is_refused(founded: OrgUnit) -> None:
    exc = refused("unit.renamed_before_founding", unit=founded, name="X", date=D(2020, 3, 1))
    assert exc.field == "date" and "2020-03-02" in exc.message
    unit_rename(actor=None, unit=founded, name="Chi bộ Ba Mới", date=D(2020, 3, 2))
    assert OrgUnit.objects.get(pk=founded.pk).name == "Chi bộ Ba Mới"


def test_a_rename_before_the_units_last_placement_is_refused(tree: Any) -> None:
    ms.unit_move(actor=None, unit=tree.K1, new_parent=tree.C2, date=D(2025, 7, 1))
    exc = refused("unit.rename_before_history", unit=tree.K1, name="X", date=D(2025, 6, 30))
    assert exc.field == "date" and "2025-07-01" in exc.message
    assert renames() == 0
    # On the day of the move or after it, the name changes.
    unit_rename(actor=None, unit=tree.K1, name="Chi bộ Một Mới", date=D(2025, 7, 1))
    assert renames() == 1


def test_a_rename_before_the_units_last_rename_is_refused(tree: Any) -> None:
    unit_rename(actor=None, unit=tree.K1, name="Chi bộ Một", date=D(2025, 5, 5))
    refused("unit.rename_before_history", unit=tree.K1, name="Chi bộ 1", date=D(2025, 5, 4))
    # An undated rename is no date to compare with; a later one is appended.
    unit_rename(actor=None, unit=tree.K1, name="Chi bộ 1")
    unit_rename(actor=None, unit=tree.K1, name="Chi bộ Một", date=D(2025, 5, 6))
    refused("unit.rename_before_history", unit=tree.K1, name="Chi bộ 1", date=D(2025, 5, 5))
    assert renames() == 3


def test_a_rename_to_the_same_name_is_refused_and_writes_nothing(tree: Any) -> None:
    exc = refused("unit.name_unchanged", unit=tree.K1, name=" Unit K1 ", date=D(2025, 7, 1))
    assert exc.field == "name" and "Unit K1" in exc.message
    refused("unit.name_unchanged", unit=tree.K1, name="Unit K1")
    assert renames() == 0


# The API and the browser answer the service's refusals --------------------------------------
def test_the_api_refuses_the_renames_the_service_refuses(
    tree: Any, founded: OrgUnit, token_clients: Any
) -> None:
    client = token_clients([("organizer", Role.ORGANIZER, tree.P)])["organizer"]

    def patch(code: str, body: dict[str, Any]) -> Any:
        return client.patch(f"/api/v1/units/{code}", body, content_type="application/json")

    for code, body, expected in [
        ("K1", {"name": "Chi bộ Mới", "date": "2099-01-01"}, "event.in_future"),
        ("K3", {"name": "Chi bộ Mới", "date": "2019-12-31"}, "unit.renamed_before_founding"),
        ("K1", {"name": "Unit K1", "date": "2025-07-01"}, "unit.name_unchanged"),
        ("K1", {"name": "Unit K1"}, "unit.name_unchanged"),
    ]:
        response = patch(code, body)
        assert response.status_code == 422, (body, response.content)
        assert response.json()["code"] == expected
    assert renames() == 0
    assert patch("K1", {"name": "Chi bộ Mới", "date": "2025-07-01"}).status_code == 200
    response = patch("K1", {"name": "Chi bộ Mới Hơn", "date": "2025-06-30"})
    assert response.status_code == 422 and response.json()["code"] == "unit.rename_before_history"
    assert renames() == 1


def test_the_browser_refuses_the_rename_on_its_field_before_asking_to_confirm(
    client: Any, tree: Any
) -> None:
    user = get_user_model().objects.create_user(username="organizer")
    role_grant(actor=None, user=user, role=Role.ORGANIZER, unit=tree.P)
    client.force_login(user)
    url = reverse("members:unit_action", args=["K1", "rename"])
    for data, field, words in [
        ({"name": "Chi bộ Mới", "date": "2099-01-01"}, "date", "in the future"),
        ({"name": "Unit K1", "date": "2025-07-01"}, "name", "already named"),
        ({"name": "Unit K1"}, "name", "already named"),
    ]:
        response = client.post(url, data)
        assert response.status_code == 422 and not response.context["confirming"], data
        assert words in str(response.context["form"].errors[field]), data
    assert renames() == 0


@pytest.mark.django_db
def test_a_rename_dated_on_or_after_the_units_dissolution_is_refused(founded: OrgUnit) -> None:
    ms.unit_dissolve(actor=None, unit=founded, date=D(2024, 5, 1), document="7-QĐ/HU")
    before = renames()
    error = refused("unit.already_dissolved", unit=founded, name="Chi bộ Mới", date=D(2024, 5, 1))
    assert error.field == "date" and "2024-05-01" in error.message
    assert renames() == before
    # An earlier name can still be corrected, dated while the unit existed.
    unit_rename(actor=None, unit=founded, name="Chi bộ Ba (sửa)", date=D(2023, 1, 2))
    assert OrgUnit.objects.get(pk=founded.pk).name == "Chi bộ Ba (sửa)"
