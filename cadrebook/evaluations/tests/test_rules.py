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
    assert ev.disqualifier("member", "disciplined_duty").from_discipline == (
        "reprimand_or_above_duty"
    )
    assert ev.disqualifier("leader", "disciplined").from_discipline == "disciplined"
    assert ev.disqualifier("organization", "disciplined").from_discipline == "disciplined"
    assert ev.disqualifier("member", "degraded").from_discipline == ""
    assert ev.disqualifier("leader", "confidence_low").from_fact == "confidence_low"
    assert ev.disqualifier("leader", "confidence_low").from_discipline == ""
    assert ev.disqualifier("leader", "degraded").from_fact == ""
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
        (lambda e: e.update(steps=e["steps"] | {"enforcement": "shout"}), "steps.enforcement"),
        (lambda e: e.update(steps=e["steps"] | {"members": ["vote"]}), "steps.members"),
        (
            lambda e: e.update(
                disqualifiers=e["disqualifiers"]
                | {"member": [e["disqualifiers"]["member"][0] | {"from_discipline": "scolded"}]}
            ),
            "disqualifiers.member.from_discipline",
        ),
        (
            lambda e: e.update(
                disqualifiers=e["disqualifiers"]
                | {"leader": [e["disqualifiers"]["leader"][0] | {"from_fact": "gossip"}]}
            ),
            "disqualifiers.leader.from_fact",
        ),
        (
            lambda e: e.update(
                disqualifiers=e["disqualifiers"]
                | {"leader": [e["disqualifiers"]["leader"][1] | {"from_fact": "confidence_low"}]}
            ),
            "disqualifiers.leader.from_fact",
        ),
    ],
)
def test_a_broken_evaluation_section_is_refused_naming_the_key(change, complaint):
    with pytest.raises(ImproperlyConfigured, match=complaint.replace(".", r"\.")):
        parse(_broken(change))


def test_labels_speak_the_active_language_and_fall_back_to_the_english_label(rules):
    from django.utils import translation

    from cadrebook.core.rules import rule_label

    ev = evaluation_rules(rules)
    with translation.override("vi"):
        assert ev.level_label("excellent") == "Hoàn thành xuất sắc nhiệm vụ"
        assert ev.level_label("not_completed") == "Không hoàn thành nhiệm vụ"
        assert ev.round_kind_label("yearly").startswith("Đánh giá")
        assert ev.framework_label("member") == "Đảng viên không giữ chức vụ lãnh đạo, quản lý"
        assert ev.model_label("four_good") == "Tổ chức đảng bốn tốt"
        assert rules.unit_kinds["cell"].display_label == "Chi bộ trực thuộc"
    with translation.override("km"):
        assert ev.level_label("good") == "បំពេញភារកិច្ចបានល្អ"
        assert ev.exclusion_label("exempt") == "លើកលែងពីសកម្មភាពបក្ស"
    with translation.override("en"):
        assert ev.level_label("excellent") == "Excellently completed duties"
    # An entry without the language's label, or a code the rule set lacks: the label, the code.
    assert rule_label({"label": "Top", "vi": "Đỉnh"}, "km") == "Top"
    assert rule_label({"label": "Top", "vi": "Đỉnh"}, "vi") == "Đỉnh"
    assert rule_label({"label": "Top", "vi": ""}, "vi") == "Top"
    assert ev.level_label("no_such_level") == "no_such_level"


def test_every_label_of_the_default_rule_set_is_given_in_vietnamese_and_khmer(rules):
    """What the vi and km pages print: no entry left in English."""
    ev = evaluation_rules(rules)
    entries = [
        *ev.levels,
        *ev.round_kinds,
        *ev.frameworks.values(),
        *(g for f in ev.frameworks.values() for g in f.groups),
        *ev.exclusion_reasons,
        *ev.special_cases,
        *ev.override_reasons,
        *(d for ds in ev.disqualifiers.values() for d in ds),
        *ev.model_kinds,
        *rules.unit_kinds.values(),
    ]
    missing = [e.label for e in entries if set(e.names) != {"vi", "km"}]
    assert missing == []


def test_the_alternative_rule_set_gives_english_labels_only_and_they_show_everywhere(ruleset):
    from django.utils import translation

    ev = evaluation_rules()
    with translation.override("vi"):
        assert ev.level_label("excellent") == "Top"
        assert ev.round_kind_label("annual") == "Annual review"
        assert ev.frameworks["member"].groups[0].display_label == "Conduct"
