"""The rule set: loading, lookups, the calendar of working days, and the alternative set."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from cadrebook.core.errors import RuleViolation
from cadrebook.core.rules import available_rulesets, current_ruleset, load_ruleset

D = dt.date


def test_both_shipped_rule_sets_are_available():
    assert {"vn-2025", "test-alt"} <= set(available_rulesets())


def test_loading_an_unknown_rule_set_names_the_available_ones():
    with pytest.raises(LookupError, match="vn-2025"):
        load_ruleset("no-such-set")


def test_the_default_rule_set_in_force_is_vn_2025(rules):
    assert rules.id == "vn-2025"
    assert rules.version >= 1


def test_switching_the_setting_switches_the_rule_set_in_force(ruleset):
    assert ruleset.id == "test-alt"
    assert current_ruleset().id == "test-alt"
    assert current_ruleset().int("admission.min_age_months") == 192


def test_every_rule_set_defines_every_rule_of_vn_2025():
    reference = load_ruleset("vn-2025")
    for ruleset_id in available_rulesets():
        other = load_ruleset(ruleset_id)
        for name, table in reference.data.items():
            if not isinstance(table, dict) or name == "unit_kinds":
                continue
            missing = set(table) - set(other.section(name))
            assert not missing, f"{ruleset_id} [{name}] lacks {sorted(missing)}"


def test_every_rule_set_card_example_matches_its_own_pattern():
    for ruleset_id in available_rulesets():
        rules = load_ruleset(ruleset_id)
        assert rules.card_pattern().match(rules.value("card.example")), ruleset_id


def test_admission_ages_and_probation_come_from_the_rule_set(rules):
    assert rules.int("admission.min_age_months") == 18 * 12
    assert rules.int("admission.max_age_months") == 60 * 12 + 11
    assert rules.int("probation.months") == 12
    assert rules.int("readmission.min_months_after_leaving") == 36
    assert rules.fraction("admission.vote_share") == Fraction(2, 3)


def test_an_unknown_rule_is_a_key_error_naming_the_rule(rules):
    with pytest.raises(KeyError, match="admission.no_such_rule"):
        rules.value("admission.no_such_rule")
    with pytest.raises(KeyError, match="no_such_section"):
        rules.section("no_such_section")


def test_a_violation_names_the_regulation_of_its_section(rules):
    exc = rules.violation("admission", "admission.too_young", "too young", field="date")
    assert isinstance(exc, RuleViolation)
    assert exc.source == "294-QĐ/TW 2025"
    assert exc.as_dict() == {
        "code": "admission.too_young",
        "message": "too young",
        "field": "date",
        "source": "294-QĐ/TW 2025",
    }
    assert "294-QĐ/TW 2025" in str(exc)


def test_unit_kinds_say_who_may_stand_above_them_and_who_holds_members(rules):
    kinds = rules.unit_kinds
    assert kinds["province_committee"].parents == ("central_committee",)
    assert kinds["province_committee"].top and kinds["central_committee"].top
    assert not kinds["commune_committee"].top
    assert set(kinds["cell"].parents) == {"grassroots_committee", "commune_committee"}
    assert set(rules.member_holding_kinds()) == {"cell", "grassroots_cell"}
    assert not kinds["grassroots_committee"].holds_members


def test_an_unknown_unit_kind_is_refused_listing_the_known_ones(rules):
    with pytest.raises(RuleViolation) as info:
        rules.unit_kind("district_committee")
    assert info.value.code == "unit.kind_unknown"
    assert "commune_committee" in info.value.message


def test_the_alternative_rule_set_has_its_own_unit_kinds(ruleset):
    assert set(ruleset.unit_kinds) == {"national", "branch"}
    assert ruleset.member_holding_kinds() == ["branch"]


# Working days ----------------------------------------------------------------------------
def test_holidays_are_read_as_dates(rules):
    assert D(2026, 4, 30) in rules.holidays
    assert D(2026, 5, 1) in rules.holidays


def test_weekends_and_holidays_are_not_working_days(rules):
    assert rules.is_working_day(D(2026, 4, 29))  # Wednesday
    assert not rules.is_working_day(D(2026, 4, 30))  # Reunification Day
    assert not rules.is_working_day(D(2026, 5, 1))  # Labour Day
    assert not rules.is_working_day(D(2026, 5, 2))  # Saturday
    assert not rules.is_working_day(D(2026, 5, 3))  # Sunday


def test_adding_working_days_skips_the_april_and_may_holidays_and_the_weekend(rules):
    assert rules.add_working_days(D(2026, 4, 29), 1) == D(2026, 5, 4)


def test_adding_working_days_skips_a_monday_holiday(rules):
    # 27 April 2026 (Hung Kings) is a Monday holiday.
    assert rules.add_working_days(D(2026, 4, 24), 1) == D(2026, 4, 28)


def test_adding_zero_working_days_is_the_start_day(rules):
    assert rules.add_working_days(D(2026, 5, 2), 0) == D(2026, 5, 2)


def test_adding_a_negative_number_of_working_days_goes_back(rules):
    assert rules.add_working_days(D(2026, 5, 4), -1) == D(2026, 4, 29)


def test_the_day_after_the_last_working_day_before_tet_is_after_tet(rules):
    # Tết 2026 closes offices from Monday 16 to Friday 20 February.
    assert rules.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)


def test_a_sixty_working_day_deadline_skips_tet_and_the_spring_holidays(rules):
    end = rules.add_working_days(D(2026, 2, 2), 60)
    assert end == D(2026, 5, 7)
    assert rules.working_days_between(D(2026, 2, 2), end) == 60


def test_working_days_between_counts_after_the_start_up_to_the_end(rules):
    assert rules.working_days_between(D(2026, 4, 29), D(2026, 5, 4)) == 1
    assert rules.working_days_between(D(2026, 5, 4), D(2026, 4, 29)) == 0
    assert rules.working_days_between(D(2026, 5, 4), D(2026, 5, 4)) == 0


def test_working_days_follow_the_calendar_of_the_rule_set_in_force(ruleset):
    # test-alt rests on Sunday only and knows no April/May holidays.
    assert ruleset.add_working_days(D(2026, 4, 29), 1) == D(2026, 4, 30)
    assert ruleset.add_working_days(D(2026, 5, 1), 1) == D(2026, 5, 2)  # Saturday works
    assert ruleset.add_working_days(D(2026, 5, 2), 1) == D(2026, 5, 4)  # Sunday rests
    assert ruleset.add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 2)
