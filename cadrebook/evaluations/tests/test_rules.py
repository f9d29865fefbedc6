"""The rule set's `[evaluation]` section: read whole, checked, and the alternative rule set
read with its own numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from cadrebook.core.rules import Ruleset, load_ruleset
from cadrebook.evaluations.rules import evaluation_rules, parse


def test_the_levels_come_from_the_thresholds_of_the_rule_set(rules):
    ev = evaluation_rules(rules)
    assert [
        ev.level_of(Decimal(p)) for p in ("100", "90", "89.99", "70", "69", "50", "49.5", "0")
    ] == [
        "excellent",
        "excellent",
        "good",
        "good",
        "completed",
        "completed",
        "not_completed",
        "not_completed",
    ]


def test_the_alternative_rule_set_has_its_own_scale_and_thresholds(ruleset):
    ev = evaluation_rules()
    assert ev.ruleset_id == "test-alt"
    assert ev.score_max == 10
    assert [ev.level_of(Decimal(p)) for p in ("8", "7.9", "6", "4", "3.9")] == [
        "excellent",
        "good",
        "good",
        "completed",
        "not_completed",
    ]


def test_member_criteria_are_thirty_general_and_seventy_tasks_from_the_rule_set(rules):
    groups = evaluation_rules(rules).frameworks["member"].groups
    assert [(g.code, g.points) for g in groups] == [("general", 30), ("tasks", 70)]
    alt = evaluation_rules(load_ruleset("test-alt")).frameworks["member"].groups
    assert [(g.code, g.points) for g in alt] == [("conduct", 4), ("work", 6)]


def test_leaders_and_organizations_frameworks_are_marked_configurable(rules):
    ev = evaluation_rules(rules)
    assert "configurable" in ev.frameworks["leader"].source
    assert "configurable" in ev.frameworks["organization"].source


def test_every_number_of_the_section_is_read(rules):
    ev = evaluation_rules(rules)
    alt = evaluation_rules(load_ruleset("test-alt"))
    assert (ev.admitted_within_months, alt.admitted_within_months) == (6, 2)
    assert (ev.long_leave_min_months, alt.long_leave_min_months) == (3, 1)
    assert (ev.honour_years_running, alt.honour_years_running) == (5, 2)
    assert (ev.quota_share, ev.quota_outstanding_share) == (Decimal("0.2"), Decimal("0.25"))
    assert (ev.quota_enforcement, alt.quota_enforcement) == ("refuse", "warn")
    assert ev.allowed_excellent(9, outstanding=False) == 1  # floor(1.8)
    assert ev.allowed_excellent(8, outstanding=True) == 2
    assert alt.allowed_excellent(3, outstanding=False) == 2  # round(1.5) half up
    assert ev.legacy_units["TSVM"].level == "excellent"
    assert ev.legacy_members["VPTC"].level == "not_completed"
    assert [k.code for k in ev.round_kinds if k.rates_year] == ["yearly"]
    assert ev.disqualifier("member", "disciplined_duty").cap == "not_completed"
    assert ev.disqualifier("member", "tasks_not_exceeded").cap == "good"
    assert ev.unit_deciders["cell"] == "parent"
    assert ev.grassroots_kinds == {"grassroots_committee", "grassroots_cell"}


def _broken(change) -> Ruleset:
    base = load_ruleset("vn-2025")
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.data.items()}
    data["evaluation"] = {k: v for k, v in base.data["evaluation"].items()}
    change(data["evaluation"])
    return Ruleset(id="broken", name="broken", version=1, data=data)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda e: e.update(levels=e["levels"][:3]), "levels"),
        (
            lambda e: e.update(
                frameworks=e["frameworks"]
                | {
                    "member": e["frameworks"]["member"]
                    | {"groups": [{"code": "a", "label": "A", "points": 99}]}
                }
            ),
            "frameworks.member",
        ),
        (lambda e: e.update(quota=e["quota"] | {"enforcement": "shout"}), "quota.enforcement"),
        (lambda e: e.pop("links"), "links"),
        (
            lambda e: e.update(
                legacy=e["legacy"] | {"units": [{"label": "X", "name": "X", "level": "weak"}]}
            ),
            "legacy.units",
        ),
    ],
)
def test_a_broken_evaluation_section_is_refused_naming_the_key(change, complaint):
    with pytest.raises(ImproperlyConfigured, match=complaint.replace(".", r"\.")):
        parse(_broken(change))
