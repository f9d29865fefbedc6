"""Every lifecycle refusal reaches an API caller with the rule's code (and, for the rules of
the rule set, the document they come from), and writes nothing."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.accounts.roles import Role
from cadrebook.members import services as ms
from cadrebook.members.models import Member, MemberEvent
from cadrebook.orgs.services import unit_create

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _person(unit: Any, name: str, birth: dt.date | None = dt.date(1990, 1, 1)) -> Member:
    return ms.member_register_applicant(
        actor=None,
        unit=unit,
        date=dt.date(2015, 1, 1),
        full_name=name,
        gender="male",
        birth_date=birth,
    )


@pytest.fixture
def w(token_clients: Any) -> SimpleNamespace:
    p = unit_create(actor=None, code="P", name="Tỉnh", kind="province_committee")
    c = unit_create(actor=None, code="C", name="Xã", kind="commune_committee", parent=p)
    k = unit_create(actor=None, code="K", name="Chi bộ", kind="grassroots_cell", parent=c)
    unit_create(actor=None, code="K2", name="Chi bộ Hai", kind="grassroots_cell", parent=c)
    _person(k, "Trẻ", TODAY.replace(year=TODAY.year - 17))
    _person(k, "Không Ngày Sinh", None)
    recent = _person(k, "Mới Kết Nạp")
    ms.member_admit(actor=None, member=recent, date=TODAY - dt.timedelta(days=90))
    full = _person(k, "Chính Thức")
    ms.member_admit(actor=None, member=full, date=dt.date(2016, 1, 4))
    ms.member_recognize(actor=None, member=full, date=dt.date(2017, 1, 4))
    exempt = _person(k, "Miễn")
    ms.member_admit(actor=None, member=exempt, date=dt.date(2016, 1, 4))
    ms.member_recognize(actor=None, member=exempt, date=dt.date(2017, 1, 4))
    ms.member_exempt(actor=None, member=exempt, date=dt.date(2024, 1, 2), reason="Tuổi cao")
    leaving = _person(k, "Đang Chuyển")
    ms.member_admit(actor=None, member=leaving, date=dt.date(2016, 1, 4))
    ms.member_transfer_out(
        actor=None,
        member=leaving,
        date=dt.date(2024, 1, 2),
        to_unit=k.__class__.objects.get(code="K2"),
    )
    removed = _person(k, "Đã Xóa Tên")
    ms.member_admit(actor=None, member=removed, date=dt.date(2016, 1, 4))
    ms.member_remove(actor=None, member=removed, date=TODAY - dt.timedelta(days=10), reason="x")
    gone = _person(k, "Đã Rời Lâu")
    ms.member_admit(actor=None, member=gone, date=dt.date(2016, 1, 4))
    ms.member_remove(actor=None, member=gone, date=dt.date(2019, 1, 2), reason="x")
    client = token_clients([("clerk", Role.CLERK, c)])["clerk"]
    people = {m.full_name: m for m in Member.objects.all()}
    return SimpleNamespace(client=client, people=people)


# (member, event body, code, whether the rule set names its source)
REFUSALS = [
    ("Trẻ", {"type": "admitted"}, "admission.too_young", True),
    ("Không Ngày Sinh", {"type": "admitted"}, "admission.birth_date_missing", True),
    ("Mới Kết Nạp", {"type": "recognized"}, "probation.not_completed", True),
    ("Đã Xóa Tên", {"type": "readmitted"}, "readmission.too_soon", True),
    ("Chính Thức", {"type": "recognized"}, "member.status_forbids_event", False),
    ("Chính Thức", {"type": "transferred", "to_unit": "K"}, "transfer.same_unit", False),
    ("Chính Thức", {"type": "transferred"}, "transfer.destination_missing", False),
    ("Chính Thức", {"type": "transferred", "to_unit": "NOPE"}, "unit.unknown", False),
    ("Chính Thức", {"type": "transfer_accepted"}, "transfer.none_pending", False),
    ("Chính Thức", {"type": "exemption_ended"}, "exemption.none", False),
    ("Chính Thức", {"type": "temporary_transfer_ended"}, "transfer.temporary_none", False),
    ("Chính Thức", {"type": "temporary_transfer", "to_unit": "K"}, "transfer.host_missing", False),
    ("Chính Thức", {"type": "removed"}, "event.reason_missing", False),
    (
        "Chính Thức",
        {"type": "removed", "reason": "x", "date": "2016-01-01"},
        "event.before_previous",
        False,
    ),
    (
        "Chính Thức",
        {"type": "deceased", "date": (TODAY + dt.timedelta(days=3)).isoformat()},
        "event.in_future",
        False,
    ),
    ("Miễn", {"type": "exempted", "reason": "x"}, "exemption.already", False),
    ("Chính Thức", {"type": "deceased", "to_unit": "K2"}, "event.to_unit_unused", False),
    ("Đã Rời Lâu", {"type": "readmitted", "to_unit": "P"}, "unit.unknown", False),
    ("Đang Chuyển", {"type": "transferred", "to_unit": "K2"}, "transfer.already_pending", False),
    ("Đang Chuyển", {"type": "removed", "reason": "x"}, "transfer.already_pending", False),
]


@pytest.mark.parametrize(
    ("name", "body", "code", "sourced"), REFUSALS, ids=[r[2] for r in REFUSALS]
)
def test_a_lifecycle_refusal_carries_the_rule_code(
    w: SimpleNamespace, name: str, body: dict[str, Any], code: str, sourced: bool
) -> None:
    member = w.people[name]
    before = (MemberEvent.objects.count(), Member.objects.get(pk=member.pk).version)
    response = w.client.post(
        f"/api/v1/members/{member.pk}/events",
        {"date": TODAY.isoformat(), **body},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content.decode()
    refusal = response.json()
    assert refusal["code"] == code and refusal["message"] and refusal.get("field")
    assert bool(refusal.get("source")) == sourced
    assert (MemberEvent.objects.count(), Member.objects.get(pk=member.pk).version) == before


def test_a_readmission_names_the_cell_the_member_returns_to(w: SimpleNamespace) -> None:
    gone = w.people["Đã Rời Lâu"]
    response = w.client.post(
        f"/api/v1/members/{gone.pk}/events",
        {"type": "readmitted", "date": TODAY.isoformat(), "to_unit": "K2"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content.decode()
    assert response.json()["unit"] == "K2"
    assert Member.objects.get(pk=gone.pk).unit.code == "K2"
