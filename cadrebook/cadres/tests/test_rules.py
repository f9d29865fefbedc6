"""The rule set's `[cadres]` section: read into typed rules with every number from the rule
set, and a broken section refused naming the key at fault."""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from cadrebook.cadres.rules import cadre_rules, parse
from cadrebook.core.rules import Ruleset, load_ruleset


def _broken(change: Any) -> Ruleset:
    rs = load_ruleset("vn-2025")
    data = copy.deepcopy(rs.data)
    change(data["cadres"])
    return Ruleset(id="broken", name="broken", version=1, data=data)


def test_vn_2025_reads_the_cadre_rules_with_their_sources() -> None:
    r = cadre_rules(load_ruleset("vn-2025"))
    assert (r.appointment_months, r.notice_working_days, r.min_months_before_retirement) == (
        60,
        90,
        60,
    )
    assert r.term_years == 5  # [organization] term_years: the register's terms
    assert r.election_share == Fraction(1, 2) and "[inferred]" in r.election_source
    assert "377-QĐ/TW" in r.min_months_source and "90 working days" in r.notice_source
    secretary = r.position("secretary")
    assert secretary is not None and secretary.requires_full_member
    # The cell committee's numbers are [organization]'s, written once.
    (least, size) = r.seats_for("committee_member", "cell")
    assert least.min_full_members == 9 and size.max == 7
    assert r.rank("secretary", "cell") < r.rank("committee_member", "commune_committee")
    assert r.retirement.age_months("male", 2021) == 60 * 12 + 3
    assert r.retirement.age_months("female", 2040) == 60 * 12
    assert r.retirement.age_months("female", 2020) == 55 * 12
    assert "Decree 135/2020" in r.retirement.source


def test_another_rule_set_gives_other_numbers() -> None:
    r = cadre_rules(load_ruleset("test-alt"))
    assert (r.appointment_months, r.notice_working_days, r.term_years) == (48, 30, 4)
    assert r.election_share == Fraction(2, 3)
    (seats,) = r.seats_for("member", "branch")
    assert seats.min_full_members == 12 and seats.max == 3


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda c: c.pop("notice_working_days"), "notice_working_days"),
        (lambda c: c["positions"].append(dict(c["positions"][0])), "positions"),
        (lambda c: c["seats"][0].update(positions=["pope"]), "seats[0].positions"),
        (lambda c: c["seats"][0].update(unit_kinds=["parish"]), "seats[0].unit_kinds"),
        (lambda c: c["seats"][0].update(max=0), "seats[0].max"),
        (lambda c: c["seats"][5].update(min_full_members="organization.nothing"), "seats[5]"),
        (lambda c: c.update(election_share="3/2"), "election_share"),
        (lambda c: c["kind_levels"].update(parish=1), "kind_levels"),
        (lambda c: c["retirement"]["before"].update(male="sixty"), "retirement.before.male"),
        (lambda c: c["retirement"]["schedule"][0].update(female="55y13m"), "schedule[0].female"),
        (lambda c: c["retirement"]["schedule"][1].update(male="59y"), "retirement.schedule"),
    ],
)
def test_a_broken_section_is_refused_naming_the_key(change: Any, key: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"\[cadres\]") as caught:
        parse(_broken(change))
    assert key in str(caught.value)
