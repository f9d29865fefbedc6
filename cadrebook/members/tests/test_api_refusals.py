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
        taken_over=True,
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
    ms.member_admit(taken_over=True, actor=None, member=recent, date=TODAY - dt.timedelta(days=90))
    full = _person(k, "Chính Thức")
    ms.member_admit(taken_over=True, actor=None, member=full, date=dt.date(2016, 1, 4))
    ms.member_recognize(taken_over=True, actor=None, member=full, date=dt.date(2017, 1, 4))
    exempt = _person(k, "Miễn")
    ms.member_admit(taken_over=True, actor=None, member=exempt, date=dt.date(2016, 1, 4))
    ms.member_recognize(taken_over=True, actor=None, member=exempt, date=dt.date(2017, 1, 4))
    ms.member_exempt(actor=None, member=exempt, date=dt.date(2024, 1, 2), reason="Tuổi cao")
    leaving = _person(k, "Đang Chuyển")
    ms.member_admit(taken_over=True, actor=None, member=leaving, date=dt.date(2016, 1, 4))
    ms.member_transfer_out(
        actor=None,
        member=leaving,
        date=dt.date(2024, 1, 2),
        to_unit=k.__class__.objects.get(code="K2"),
    )
    removed = _person(k, "Đã Xóa Tên")
    ms.member_admit(taken_over=True, actor=None, member=removed, date=dt.date(2016, 1, 4))
    ms.member_remove(
        taken_over=True, actor=None, member=removed, date=TODAY - dt.timedelta(days=10), reason="x"
    )
    gone = _person(k, "Đã Rời Lâu")
    ms.member_admit(taken_over=True, actor=None, member=gone, date=dt.date(2016, 1, 4))
    ms.member_remove(taken_over=True, actor=None, member=gone, date=dt.date(2019, 1, 2), reason="x")
    _person(k, "Già", TODAY.replace(year=TODAY.year - 62, day=1))
    twice = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k,
        date=dt.date(2007, 1, 2),
        full_name="Hai Lần",
        gender="male",
        birth_date=dt.date(1980, 1, 1),
    )
    ms.member_admit(taken_over=True, actor=None, member=twice, date=dt.date(2008, 1, 4))
    ms.member_remove(
        taken_over=True, actor=None, member=twice, date=dt.date(2010, 1, 4), reason="x"
    )
    ms.member_readmit(taken_over=True, actor=None, member=twice, date=dt.date(2014, 1, 6))
    ms.member_remove(
        taken_over=True, actor=None, member=twice, date=dt.date(2016, 1, 4), reason="x"
    )
    closed = unit_create(
        actor=None,
        code="K3",
        name="Chi bộ Ba",
        kind="grassroots_cell",
        parent=c,
        founded_on=dt.date(2000, 1, 1),
    )
    ms.unit_dissolve(actor=None, unit=closed, date=dt.date(2020, 1, 1))
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
    ("Chính Thức", {"type": "removed"}, "event.reason_missing", True),
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
    ("Già", {"type": "admitted"}, "admission.too_old", True),
    ("Hai Lần", {"type": "readmitted"}, "readmission.limit", True),
    ("Chính Thức", {"type": "transferred", "to_unit": "K3"}, "unit.not_active", False),
    ("Chính Thức", {"type": "not_recognized"}, "member.status_forbids_event", False),
    ("Chính Thức", {"type": "transfer_returned", "reason": "x"}, "transfer.none_pending", False),
    # An expulsion is a discipline decision: the events endpoint names the discipline route.
    ("Chính Thức", {"type": "expelled"}, "event.expulsion_by_discipline", False),
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


# The decisions no other test records through the API: (member, body, recorded type, status).
DECISIONS = [
    (
        "Mới Kết Nạp",
        {"type": "not_recognized", "date": "PROBATION_END", "document": "4-QĐ/HU"},
        "not_recognized",
        "removed",
    ),
]


@pytest.mark.parametrize(("name", "body", "recorded", "status"), DECISIONS, ids=["not_recognized"])
def test_a_decision_is_recorded_with_its_location_and_audited_with_the_token(
    w: SimpleNamespace, name: str, body: dict[str, Any], recorded: str, status: str
) -> None:
    from cadrebook.core.models import AuditEntry

    member = w.people[name]
    if body.get("date") == "PROBATION_END":
        # The probation of "Mới Kết Nạp" has not ended: move the admission back first.
        ms.member_correct_event(
            actor=None,
            event=member.events.get(type="admitted"),
            date=TODAY - dt.timedelta(days=400),
            reason="Ngày ghi nhầm",
        )
        body = {**body, "date": TODAY.isoformat()}
    response = w.client.post(
        f"/api/v1/members/{member.pk}/events",
        {"date": TODAY.isoformat(), **body},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content.decode()
    event = response.json()
    assert event["type"] == recorded
    assert response["Location"] == f"/api/v1/members/{member.pk}/events/{event['id']}"
    assert Member.objects.get(pk=member.pk).status == status
    entry = AuditEntry.objects.filter(object_id=str(member.pk)).latest("id")
    assert entry.via == "token:clerk-script"


def test_a_returned_transfer_is_recorded_by_the_receiving_cell(
    w: SimpleNamespace, token_clients: Any
) -> None:
    from cadrebook.orgs.models import OrgUnit

    receiver = token_clients([("clerk2", Role.CLERK, OrgUnit.objects.get(code="K2"))])["clerk2"]
    leaving = w.people["Đang Chuyển"]
    url = f"/api/v1/members/{leaving.pk}/events"
    body = {"type": "transfer_returned", "date": TODAY.isoformat(), "reason": "Sai địa chỉ"}
    response = receiver.post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content.decode()
    assert response.json()["type"] == "transfer_returned"
    leaving.refresh_from_db()
    assert leaving.pending_transfer_to_id is None and leaving.unit.code == "K"


def test_a_refused_merge_names_the_field_of_the_request_into(
    tree: SimpleNamespace, make_member: Any, token_clients: Any
) -> None:
    """Whatever refuses a merge on the way (the members' transfers into a unit that holds
    none, the units below moved under a unit that cannot have them), the API names the
    request's own field, `into`, not the internal one of the step that refused."""
    from cadrebook.orgs.models import OrgUnit

    client = token_clients([("organizer", Role.ORGANIZER, tree.P)])["organizer"]
    make_member(tree.K1, dt.date(1990, 1, 1), dt.date(2020, 1, 6), recognized=True)
    day = (TODAY - dt.timedelta(days=1)).isoformat()
    attempts = [
        ("K1", "G1", "unit.holds_no_members"),  # a cell's members into a committee
        ("G1", "GC", "unit.parent_kind_not_allowed"),  # cells under a grassroots cell
    ]
    for code, into, refusal in attempts:
        response = client.post(
            f"/api/v1/units/{code}/merge",
            {"into": into, "date": day, "document": "7-QĐ/TU"},
            content_type="application/json",
        )
        assert response.status_code == 422, response.content.decode()
        assert (response.json()["code"], response.json()["field"]) == (refusal, "into")
        assert OrgUnit.objects.get(code=code).dissolved_on is None
