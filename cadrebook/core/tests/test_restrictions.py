"""The restrictions hook: what a registered provider gives, kept by kind and day; none without
a provider; the refusal names what imposes the restriction and its source."""

from __future__ import annotations

import datetime as dt

import pytest

from cadrebook.core import restrictions as rs
from cadrebook.core.errors import RuleViolation

D = dt.date


def fake(member_id: int, day: dt.date, kind: str) -> list[rs.Restriction]:
    if member_id != 7:
        return []
    return [
        rs.Restriction("transfer", D(2027, 1, 31), "Warning decided on 2026-01-31", "reg. A"),
        rs.Restriction("appointment", None, "Expulsion proposed", "reg. B"),
    ]


@pytest.fixture(autouse=True)
def no_app_providers(monkeypatch):
    """Without the providers the apps register at start-up (the inspections app's reads the
    database): these tests are about the hook alone."""
    monkeypatch.setattr(rs, "_providers", [])


@pytest.fixture
def provider():
    rs.register_restriction_provider(fake)
    rs.register_restriction_provider(fake)  # once only
    yield fake
    rs.unregister_restriction_provider(fake)


def test_no_provider_no_restriction():
    assert rs.active_restrictions(7, D(2026, 6, 1), rs.TRANSFER) == ()
    rs.check_unrestricted(7, D(2026, 6, 1), rs.TRANSFER)


def test_a_restriction_runs_until_the_day_before_its_end(provider):
    assert [r.kind for r in rs.active_restrictions(7, D(2027, 1, 30), rs.TRANSFER)] == ["transfer"]
    assert rs.active_restrictions(7, D(2027, 1, 31), rs.TRANSFER) == ()
    assert rs.active_restrictions(8, D(2026, 6, 1), rs.TRANSFER) == ()
    assert [r.reason for r in rs.active_restrictions(7, D(2040, 1, 1), rs.APPOINTMENT)] == [
        "Expulsion proposed"
    ]


def test_the_refusal_names_the_restriction_and_its_source(provider):
    with pytest.raises(RuleViolation) as caught:
        rs.check_unrestricted(7, D(2026, 6, 1), rs.TRANSFER, field="type")
    err = caught.value
    assert err.code == "restriction.transfer"
    assert err.source == "reg. A" and err.field == "type"
    assert "Warning decided on 2026-01-31" in err.message and "2027-01-31" in err.message
    with pytest.raises(RuleViolation, match="in force"):
        rs.check_unrestricted(7, D(2026, 6, 1), rs.APPOINTMENT)
