"""The rule set's `[inspection]` section: read whole with its sources and labels, checked as
read (a broken one refused naming its key), and the alternative rule set read with its own
lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from cadrebook.core.rules import Ruleset, load_ruleset
from cadrebook.inspections.rules import inspection_rules, parse


def test_the_rule_set_lists_the_kinds_steps_violations_and_bodies(rules):
    ins = inspection_rules(rules)
    assert [k.code for k in ins.kinds] == [
        "regular",
        "thematic",
        "signs_of_violation",
        "surprise",
        "supervision_regular",
        "supervision_thematic",
        "complaint",
        "denunciation",
        "finances",
    ]
    assert {k.code for k in ins.kinds if k.supervision} == {
        "supervision_regular",
        "supervision_thematic",
    }
    assert [s.code for s in ins.steps] == ["decision", "plan", "working", "report", "conclusion"]
    assert ins.step("conclusion").days == 90
    assert {b.code for b in ins.bodies} == {
        "committee",
        "standing_committee",
        "inspection_committee",
        "cell",
    }
    assert "cell" in ins.body("cell").unit_kinds
    assert ins.violation_kind("corruption") is not None
    assert ins.parent_committee_kinds == {"cell"}
    assert "296-QĐ/TW" in ins.source
    assert "art. 30-32" in ins.bodies_source
    assert "69-QĐ/TW" in ins.violations_source


def test_labels_in_three_languages(rules):
    ins = inspection_rules(rules)
    with translation.override("vi"):
        assert ins.kind_label("thematic") == "Kiểm tra chuyên đề"
        assert ins.body_label("inspection_committee") == "Ủy ban Kiểm tra"
    with translation.override("km"):
        assert ins.step_label("conclusion") == "សេចក្ដីសន្និដ្ឋាន"
    with translation.override("en"):
        assert ins.kind_label("surprise") == "Surprise inspection"
        assert ins.kind_label("not_a_kind") == "not_a_kind"
    # Every entry of vn-2025 gives both languages.
    for entry in (*ins.kinds, *ins.steps, *ins.violation_kinds, *ins.recommendation_statuses):
        assert set(entry.names) == {"vi", "km"}, entry.code


def test_the_alternative_rule_set_has_its_own_lists(ruleset):
    ins = inspection_rules()
    assert ins.ruleset_id == "test-alt"
    assert [k.code for k in ins.kinds] == ["audit", "review"]
    assert [s.code for s in ins.steps] == ["decision", "visit", "conclusion"]
    assert ins.decision_document_required is False
    assert ins.source == "test statute 20"
    assert ins.kinds_source == "test statute 20a"


def _broken(change: Any) -> Ruleset:
    base = load_ruleset("vn-2025")
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.data.items()}
    data["inspection"] = dict(base.data["inspection"])
    change(data["inspection"])
    return Ruleset(id="broken", name="broken", version=1, data=data)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda e: e.pop("kinds"), "kinds"),
        (lambda e: e.update(kinds=e["kinds"] + e["kinds"][:1]), "kinds"),
        (lambda e: e.update(steps=e["steps"][1:]), "steps"),
        (lambda e: e.update(steps=e["steps"][:-1]), "steps"),
        (
            lambda e: e.update(steps=[e["steps"][0] | {"days": -1}, *e["steps"][1:]]),
            "steps[0].days",
        ),
        (
            lambda e: e.update(
                steps=[*e["steps"][:2], *e["steps"][3:4], *e["steps"][2:3], *e["steps"][4:]]
            ),
            "steps",
        ),
        (
            lambda e: e.update(recommendation_statuses=e["recommendation_statuses"][:2]),
            "recommendation_statuses",
        ),
        (
            lambda e: e.update(bodies=[e["bodies"][0] | {"unit_kinds": ["district"]}]),
            "bodies[0].unit_kinds",
        ),
        (lambda e: e.update(parent_committee_kinds=["hamlet"]), "parent_committee_kinds"),
        (lambda e: e.pop("decision_document_required"), "decision_document_required"),
        (lambda e: e.pop("source"), "source"),
    ],
)
def test_a_broken_section_is_refused_naming_its_key(change, complaint):
    with pytest.raises(ImproperlyConfigured) as exc:
        parse(_broken(change))
    assert f"[inspection] {complaint}:" in str(exc.value)


def test_a_rule_set_without_the_section_is_refused():
    base = load_ruleset("vn-2025")
    data = {k: v for k, v in base.data.items() if k != "inspection"}
    with pytest.raises(ImproperlyConfigured, match=r"\[inspection\]"):
        parse(Ruleset(id="broken", name="broken", version=1, data=data))
