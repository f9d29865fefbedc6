"""A member under a restriction on transfers (a discipline in force, `core.restrictions`)
cannot be transferred officially; the day the restriction ends the transfer goes through; a
taken-over transfer and a cell's merge are not stopped."""

from __future__ import annotations

import datetime as dt

import pytest

from cadrebook.core import restrictions as rs
from cadrebook.core.errors import RuleViolation
from cadrebook.members import services as ms
from cadrebook.members.models import Member

D = dt.date
UNTIL = D(2025, 7, 1)


@pytest.fixture
def full_member(tree, make_member):
    return make_member(tree.K1, D(1990, 1, 1), D(2024, 3, 10), recognized=True)


@pytest.fixture
def restricted(full_member):
    def provider(member_id: int, day: dt.date, kind: str) -> list[rs.Restriction]:
        if member_id != full_member.pk:
            return []
        return [rs.Restriction(rs.TRANSFER, UNTIL, "Warning of 2025-01-02", "296-QĐ/TW 2025")]

    rs.register_restriction_provider(provider)
    yield full_member
    rs.unregister_restriction_provider(provider)


def test_a_transfer_is_refused_while_the_restriction_runs(actor, tree, restricted):
    with pytest.raises(RuleViolation) as caught:
        ms.member_transfer_out(actor=actor, member=restricted, date=D(2025, 6, 30), to_unit=tree.K2)
    assert caught.value.code == "restriction.transfer"
    assert caught.value.source == "296-QĐ/TW 2025"
    assert "Warning of 2025-01-02" in caught.value.message
    assert Member.objects.get(pk=restricted.pk).pending_transfer_to is None
    ms.member_transfer_out(actor=actor, member=restricted, date=UNTIL, to_unit=tree.K2)
    assert Member.objects.get(pk=restricted.pk).pending_transfer_to == tree.K2


def test_a_taken_over_transfer_is_recorded(actor, tree, restricted):
    ms.member_transfer_out(
        actor=actor, member=restricted, date=D(2025, 6, 2), to_unit=tree.K2, taken_over=True
    )
    assert Member.objects.get(pk=restricted.pk).pending_transfer_to == tree.K2


def test_a_cells_merge_hands_the_restricted_member_over(actor, tree, restricted):
    ms.unit_merge(actor=actor, unit=tree.K1, into=tree.K2, date=D(2025, 6, 2))
    assert Member.objects.get(pk=restricted.pk).unit == tree.K2


def test_without_a_restriction_the_member_is_transferred(actor, tree, full_member):
    ms.member_transfer_out(actor=actor, member=full_member, date=D(2025, 6, 2), to_unit=tree.K2)
    assert Member.objects.get(pk=full_member.pk).pending_transfer_to == tree.K2
