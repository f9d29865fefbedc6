"""The rule set's `[discipline]` section and the pure rules of a discipline decision: forms,
authority, votes, limitation, the child under 12 months, effects in time, appeals. Each rule
with its boundary; the alternative rule set read with its own numbers; a broken section
refused naming its key."""

from __future__ import annotations

import copy
import datetime as dt
from fractions import Fraction

import pytest
from django.core.exceptions import ImproperlyConfigured

from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.rules import Ruleset, load_ruleset
from cadrebook.inspections import discipline_rules as dr
from cadrebook.inspections.discipline_rules import discipline_rules, parse

D = dt.date


@pytest.fixture
def vn() -> dr.DisciplineRules:
    return discipline_rules(load_ruleset("vn-2025"))


@pytest.fixture
def alt() -> dr.DisciplineRules:
    return discipline_rules(load_ruleset("test-alt"))


def refused(code: str, call, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.as_dict()
    assert isinstance(caught.value, ServiceError)
    return caught.value


# Reading -----------------------------------------------------------------------------------------


def test_the_section_is_read_once_per_rule_set(vn):
    assert discipline_rules(load_ruleset("vn-2025")) is vn
    assert vn.ruleset_id == "vn-2025"


def test_vn_2025_reads_its_numbers(vn):
    assert vn.severity == ("reprimand", "warning", "removal_from_post", "expulsion", "dissolution")
    assert vn.limitation_years == {"reprimand": 5, "warning": 10, "removal_from_post": 10}
    assert vn.child_under_months == 12
    assert vn.decide_share == Fraction(1, 2)
    assert vn.propose_share == {"expulsion": Fraction(2, 3)}
    assert vn.cumulative is True
    assert vn.lapse_months == 12
    assert vn.never_lapse == {"expulsion", "dissolution"}
    assert vn.appeal_deadline_months == 1
    assert vn.state_notice_days == 5
    assert vn.reprimand_or_above == {"reprimand", "warning", "removal_from_post", "expulsion"}
    assert [(a.form, a.ban, a.months) for a in vn.bans_after] == [
        ("removal_from_post", "equal_or_higher_post", 12),
        ("reprimand", "higher_post", 24),
        ("warning", "higher_post", 36),
        ("removal_from_post", "higher_post", 60),
    ]
    assert "Statute art. 36" in vn.authority_source


def test_the_alternative_rule_set_gives_other_numbers(alt):
    assert alt.severity == ("warning", "expulsion")
    assert alt.decide_share == Fraction(2, 3)
    assert alt.propose_share == {}
    assert alt.cumulative is False
    assert alt.lapse_months == 6
    assert alt.appeal_deadline_months == 2
    assert alt.state_notice_days == 3


def test_every_form_of_the_existing_keys_has_a_place_in_the_severity_order(vn, alt):
    for rules in (vn, alt):
        for listed in (rules.forms_full_member, rules.forms_probationary_member, rules.forms_unit):
            assert set(listed) <= set(rules.severity)


def test_labels_in_the_active_language(vn, settings):
    from django.utils import translation

    with translation.override("vi"):
        assert vn.form_label("expulsion") == "Khai trừ"
        assert vn.body_label("inspection_committee") == "Ủy ban kiểm tra"
    with translation.override("en"):
        assert vn.form_label("removal_from_post") == "Removal from post"
    assert vn.form_label("no_such_form") == "no_such_form"


# Forms -----------------------------------------------------------------------------------------


def test_forms_by_kind_of_subject(vn):
    assert dr.forms_allowed("member", "full", True, rules=vn) == (
        "reprimand",
        "warning",
        "removal_from_post",
        "expulsion",
    )
    assert dr.forms_allowed("member", "full", False, rules=vn) == (
        "reprimand",
        "warning",
        "expulsion",
    )
    assert dr.forms_allowed("member", "probationary", True, rules=vn) == ("reprimand", "warning")
    assert dr.forms_allowed("unit", rules=vn) == ("reprimand", "warning", "dissolution")
    assert dr.forms_allowed("member", "applicant", rules=vn) == ()


def test_forms_follow_the_rule_set_in_force(alt):
    assert dr.forms_allowed("member", "full", False, rules=alt) == ("warning", "expulsion")
    refused(
        "discipline.form_not_allowed",
        dr.check_form,
        "expulsion",
        "member",
        "probationary",
        rules=alt,
    )


def test_check_form_refusals_name_the_source(vn):
    dr.check_form("removal_from_post", "member", "full", True, rules=vn)
    err = refused(
        "discipline.form_needs_post", dr.check_form, "removal_from_post", "member", "full", rules=vn
    )
    assert err.source == vn.source and err.field == "form"
    refused(
        "discipline.form_not_allowed",
        dr.check_form,
        "expulsion",
        "member",
        "probationary",
        rules=vn,
    )
    refused("discipline.form_not_allowed", dr.check_form, "expulsion", "unit", rules=vn)
    refused(
        "discipline.form_not_allowed",
        dr.check_form,
        "dissolution",
        "member",
        "full",
        True,
        rules=vn,
    )
    refused("discipline.form_unknown", dr.check_form, "exile", "member", "full", rules=vn)
    refused(
        "discipline.subject_not_member", dr.check_form, "warning", "member", "expelled", rules=vn
    )


# Authority -------------------------------------------------------------------------------------


def test_a_cell_reprimands_or_warns_and_forwards_the_rest_to_the_grassroots_committee(vn):
    for relation in ("member", "own_committee_member", "managed_above"):
        assert dr.authority("cell", "cell", [relation], "warning", rules=vn) is None
    forward = dr.authority("cell", "cell", ["member"], "expulsion", rules=vn)
    assert forward == dr.Forward("grassroots_committee", "above", forward.label)
    err = refused(
        "discipline.beyond_authority",
        dr.check_authority,
        "cell",
        "cell",
        ["member"],
        "removal_from_post",
        rules=vn,
    )
    assert "Grassroots committee" in err.message and "level above" in err.message
    assert "Statute art. 36" in err.source and err.field == "body"


def test_a_grassroots_committee_expels_only_where_it_holds_the_power_to_admit(vn):
    args = ("committee", "grassroots_committee", ["member"], "expulsion")
    assert dr.authority(*args, may_admit=True, rules=vn) is None
    err = refused("discipline.beyond_authority", dr.check_authority, *args, rules=vn)
    assert "power to admit" in err.message
    # Never its own committee members nor cadres managed above, even with the power to admit.
    for relation in ("own_committee_member", "managed_above"):
        forward = dr.authority(
            "committee",
            "grassroots_committee",
            ["member", relation],
            "expulsion",
            may_admit=True,
            rules=vn,
        )
        assert forward is not None and forward.body == "committee" and forward.level == "above"
    # It removes lower committee members from post; not its own members.
    assert (
        dr.authority(
            "standing_committee",
            "grassroots_committee",
            ["lower_committee_member"],
            "removal_from_post",
            rules=vn,
        )
        is None
    )
    assert (
        dr.authority(
            "committee",
            "grassroots_committee",
            ["own_committee_member"],
            "removal_from_post",
            rules=vn,
        )
        is not None
    )


def test_a_province_committee_imposes_every_form_but_only_reprimand_or_warning_on_its_own(vn):
    for form in ("reprimand", "warning", "removal_from_post", "expulsion"):
        assert dr.authority("committee", "province_committee", ["member"], form, rules=vn) is None
    for relation in ("own_committee_member", "managed_by_body"):
        assert (
            dr.authority(
                "standing_committee", "province_committee", [relation], "warning", rules=vn
            )
            is None
        )
        assert (
            dr.authority(
                "standing_committee", "province_committee", [relation], "expulsion", rules=vn
            )
            is not None
        )


def test_an_inspection_committee_every_form_except_on_its_own_levels_committee_members(vn):
    for form in ("reprimand", "warning", "removal_from_post", "expulsion"):
        assert (
            dr.authority("inspection_committee", "province_committee", ["member"], form, rules=vn)
            is None
        )
    forward = dr.authority(
        "inspection_committee",
        "province_committee",
        ["own_committee_member"],
        "reprimand",
        rules=vn,
    )
    assert forward is not None and (forward.body, forward.level) == ("committee", "same")
    err = refused(
        "discipline.beyond_authority",
        dr.check_authority,
        "inspection_committee",
        "province_committee",
        ["own_committee_member"],
        "reprimand",
        rules=vn,
    )
    assert "same level" in err.message


def test_a_body_the_table_does_not_name_has_no_authority(vn):
    refused(
        "discipline.body_without_authority",
        dr.authority_body,
        "cell",
        "province_committee",
        rules=vn,
    )


def test_the_authority_table_of_the_alternative_rule_set(alt):
    assert dr.authority("cell", "branch", ["member"], "warning", rules=alt) is None
    assert dr.authority("cell", "branch", ["member"], "expulsion", rules=alt).body == "national"
    assert dr.authority("committee", "national", ["member"], "expulsion", rules=alt) is not None
    assert (
        dr.authority("committee", "national", ["member"], "expulsion", may_admit=True, rules=alt)
        is None
    )


# Votes -----------------------------------------------------------------------------------------


def test_more_than_half_of_the_full_members_exactly_half_is_not_enough(vn):
    assert dr.vote_outcome({"warning": 5, "none": 5}, 10, rules=vn) is None
    assert dr.vote_outcome({"warning": 6, "none": 4}, 10, rules=vn) == "warning"
    # Counted against the full members, not the votes cast.
    assert dr.vote_outcome({"warning": 5}, 10, rules=vn) is None
    dr.check_votes("warning", {"warning": 6}, 10, rules=vn)
    err = refused(
        "discipline.votes_not_reached", dr.check_votes, "warning", {"warning": 5}, 10, rules=vn
    )
    assert err.source == vn.votes_source and err.field == "votes"


def test_cumulative_counting_from_the_most_severe_form(vn):
    votes = {"expulsion": 3, "warning": 2, "reprimand": 1}
    # 3 of 9 for expulsion, then 3 + 2 = 5 of 9 (more than 1/2) for warning.
    assert dr.vote_outcome(votes, 9, proposing_for=8, proposing_total=9, rules=vn) == "warning"
    err = refused("discipline.votes_not_reached", dr.check_votes, "reprimand", votes, 9, rules=vn)
    assert "Warning" in err.message
    # Without the 2 warnings: 3 + 1 = 4 of 9 is not enough.
    assert dr.vote_outcome({"expulsion": 3, "reprimand": 1}, 9, rules=vn) is None


def test_expulsion_needs_two_thirds_proposing_then_more_than_half_deciding(vn):
    votes = {"expulsion": 5, "none": 4}
    assert dr.vote_outcome(votes, 9, proposing_for=6, proposing_total=9, rules=vn) == "expulsion"
    dr.check_votes(
        "expulsion", votes, 9, proposing_for=6, proposing_total=9, rules=vn
    )  # 2/3 exactly
    refused(
        "discipline.proposal_below_share",
        dr.check_votes,
        "expulsion",
        votes,
        9,
        proposing_for=5,
        proposing_total=9,
        rules=vn,
    )
    refused("discipline.proposal_missing", dr.check_votes, "expulsion", votes, 9, rules=vn)
    # Without the proposal the votes for expulsion still count toward the lighter forms.
    assert (
        dr.vote_outcome(
            {"expulsion": 4, "warning": 1}, 9, proposing_for=5, proposing_total=9, rules=vn
        )
        == "warning"
    )
    # The proposal reached, the deciding body at exactly 1/2: nothing.
    assert (
        dr.vote_outcome(
            {"expulsion": 4, "none": 4}, 8, proposing_for=9, proposing_total=9, rules=vn
        )
        is None
    )


def test_votes_that_cannot_be_are_refused(vn):
    refused("discipline.votes_invalid", dr.vote_outcome, {"warning": 6}, 5, rules=vn)
    refused("discipline.votes_invalid", dr.vote_outcome, {"warning": -1}, 5, rules=vn)
    refused("discipline.votes_invalid", dr.vote_outcome, {"warning": 1}, 0, rules=vn)
    refused("discipline.form_unknown", dr.vote_outcome, {"exile": 1}, 5, rules=vn)
    refused(
        "discipline.votes_invalid",
        dr.vote_outcome,
        {"warning": 1},
        5,
        proposing_for=4,
        proposing_total=3,
        rules=vn,
    )


def test_without_cumulative_counting_each_form_stands_alone(alt):
    # test-alt: more than 2/3, not cumulative.
    assert dr.vote_outcome({"expulsion": 5, "warning": 4}, 9, rules=alt) is None
    assert dr.vote_outcome({"warning": 6}, 9, rules=alt) is None  # 2/3 exactly
    assert dr.vote_outcome({"warning": 7}, 9, rules=alt) == "warning"


# Limitation and the child under 12 months --------------------------------------------------------


def test_limitation_periods_day_of_the_anniversary_and_the_day_after(vn):
    violation = D(2020, 3, 10)
    dr.check_limitation("reprimand", violation, D(2025, 3, 10), rules=vn)
    err = refused(
        "discipline.limitation_expired",
        dr.check_limitation,
        "reprimand",
        violation,
        D(2025, 3, 11),
        rules=vn,
    )
    assert err.source == vn.limitation_source and err.field == "violation_on"
    dr.check_limitation("warning", violation, D(2030, 3, 10), rules=vn)
    refused(
        "discipline.limitation_expired",
        dr.check_limitation,
        "removal_from_post",
        violation,
        D(2030, 3, 11),
        rules=vn,
    )
    # Expulsion-level violations have no limitation period.
    dr.check_limitation("expulsion", D(1990, 1, 1), D(2026, 1, 1), rules=vn)
    assert dr.limitation_ends("expulsion", violation, rules=vn) is None
    # Dates out of order are no rule's: refused without citing the limitation period.
    with pytest.raises(ServiceError) as caught:
        dr.check_limitation("warning", D(2026, 1, 2), D(2026, 1, 1), rules=vn)
    assert caught.value.code == "discipline.violation_after_decision"
    assert not isinstance(caught.value, RuleViolation)
    assert caught.value.as_dict().get("source") is None


def test_limitation_of_the_alternative_rule_set(alt):
    dr.check_limitation("warning", D(2020, 1, 1), D(2023, 1, 1), rules=alt)
    refused(
        "discipline.limitation_expired",
        dr.check_limitation,
        "warning",
        D(2020, 1, 1),
        D(2023, 1, 2),
        rules=alt,
    )


def test_no_discipline_while_raising_a_child_under_12_months(vn):
    born = D(2025, 6, 15)
    err = refused(
        "discipline.child_under",
        dr.check_child_under,
        D(2026, 6, 14),
        youngest_child_born_on=born,
        rules=vn,
    )
    assert "2026-06-15" in err.message and err.source == vn.child_source
    dr.check_child_under(D(2026, 6, 15), youngest_child_born_on=born, rules=vn)
    dr.check_child_under(D(2026, 6, 15), rules=vn)
    refused(
        "discipline.child_under",
        dr.check_child_under,
        D(2026, 6, 15),
        raising_child_under=True,
        rules=vn,
    )


def test_the_child_months_follow_the_rule_set(alt):
    born = D(2025, 6, 15)
    refused(
        "discipline.child_under",
        dr.check_child_under,
        D(2025, 12, 14),
        youngest_child_born_on=born,
        rules=alt,
    )
    dr.check_child_under(D(2025, 12, 15), youngest_child_born_on=born, rules=alt)


# Effects ----------------------------------------------------------------------------------------


def test_a_warning_lapses_after_12_months_and_bars_a_higher_post_for_36(vn):
    fx = dr.effects("warning", D(2026, 1, 31), rules=vn)
    assert fx.lapses_on == D(2027, 1, 31)
    assert {(b.code, b.until) for b in fx.bans} == {
        ("transfer", D(2027, 1, 31)),
        ("appointment", D(2027, 1, 31)),
        ("title", D(2027, 1, 31)),
        ("higher_post", D(2029, 1, 31)),
    }
    assert fx.out_of_planning
    assert [b.code for b in fx.active_bans(D(2027, 1, 30), "transfer")] == ["transfer"]
    assert fx.active_bans(D(2027, 1, 31), "transfer") == ()
    assert fx.active_bans(D(2026, 1, 30)) == ()


def test_removal_from_post_bars_an_equal_post_a_year_and_a_higher_one_five(vn):
    fx = dr.effects("removal_from_post", D(2026, 2, 28), rules=vn)
    until = {b.code: b.until for b in fx.bans}
    assert until["equal_or_higher_post"] == D(2027, 2, 28)
    assert until["higher_post"] == D(2031, 2, 28)
    assert dr.effects("reprimand", D(2026, 2, 28), rules=vn).bans[-1] == dr.Ban(
        "higher_post", D(2028, 2, 28), vn.bans_source
    )


def test_expulsion_never_lapses(vn, alt):
    fx = dr.effects("expulsion", D(2026, 1, 1), rules=vn)
    assert fx.lapses_on is None and fx.bans == ()
    # test-alt: expulsion lapses after 6 months and bars transfers meanwhile; a warning is not
    # "reprimand or above" there.
    fx = dr.effects("expulsion", D(2026, 1, 1), rules=alt)
    assert fx.lapses_on == D(2026, 7, 1) and fx.bans == (
        dr.Ban("transfer", D(2026, 7, 1), alt.bans_source),
    )
    assert not dr.effects("warning", D(2026, 1, 1), rules=alt).out_of_planning
    assert dr.is_reprimand_or_above("expulsion", rules=alt)


def test_state_bodies_notify_within_the_rule_sets_days(vn, alt):
    assert dr.state_notice_due(D(2026, 12, 29), rules=vn) == D(2027, 1, 3)
    assert dr.state_notice_due(D(2026, 12, 29), rules=alt) == D(2027, 1, 1)


# Appeals ----------------------------------------------------------------------------------------


def test_an_appeal_within_one_month_of_receiving_the_decision(vn):
    assert dr.appeal_deadline(D(2026, 1, 31), rules=vn) == D(2026, 2, 28)
    dr.check_appeal_in_time(D(2026, 3, 10), D(2026, 4, 10), rules=vn)
    err = refused(
        "discipline.appeal_late", dr.check_appeal_in_time, D(2026, 3, 10), D(2026, 4, 11), rules=vn
    )
    assert err.source == vn.appeals_source and err.field == "lodged_on"
    refused(
        "discipline.appeal_before_receipt",
        dr.check_appeal_in_time,
        D(2026, 3, 10),
        D(2026, 3, 9),
        rules=vn,
    )


def test_appeal_bodies_and_final_levels(vn, alt):
    dr.check_appeal_body("inspection_committee", rules=vn)
    refused("discipline.appeal_body", dr.check_appeal_body, "cell", rules=vn)
    refused("discipline.appeal_body", dr.check_appeal_body, "inspection_committee", rules=alt)
    assert dr.final_level("warning", rules=vn).code == "central_inspection_committee"
    assert dr.final_level("expulsion", rules=vn).code == "secretariat"
    assert dr.final_level("expulsion", rules=alt).code == "board"
    assert dr.appeal_deadline(D(2026, 1, 31), rules=alt) == D(2026, 3, 31)


# A broken section ------------------------------------------------------------------------------


def _broken(change) -> Ruleset:
    base = load_ruleset("vn-2025")
    data = dict(base.data)
    data["discipline"] = copy.deepcopy(base.data["discipline"])
    change(data["discipline"])
    return Ruleset(id="broken", name="broken", version=1, data=data)


def _body(d: dict, code: str) -> dict:
    return next(b for b in d["authority"]["bodies"] if b["code"] == code)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d.pop("severity"), "severity"),
        (lambda d: d.update(forms_full_member=["reprimand", "exile"]), "forms_full_member"),
        (lambda d: d.update(limitation_years={"reprimand": 0}), "limitation_years.reprimand"),
        (lambda d: d.update(limitation_years={"exile": 5}), "limitation_years"),
        (lambda d: d.update(reprimand_or_above=["warning", "warning"]), "reprimand_or_above"),
        (lambda d: d.update(state_notice_days="5"), "state_notice_days"),
        (lambda d: d["authority"].pop("relations"), "relations"),
        (
            lambda d: _body(d, "cell").update(forward_to="nowhere"),
            "authority.bodies[cell].forward_to",
        ),
        (
            lambda d: _body(d, "cell").update(forward_level="sideways"),
            "authority.bodies[cell].forward_level",
        ),
        (
            lambda d: _body(d, "cell").update(unit_kinds=["village"]),
            "authority.bodies[cell].unit_kinds",
        ),
        (lambda d: _body(d, "cell")["may"].pop("managed_above"), "authority.bodies[cell].may"),
        (
            lambda d: _body(d, "cell")["may"].update(member=["exile"]),
            "authority.bodies[cell].may.member",
        ),
        (
            lambda d: _body(d, "committee").update(unit_kinds=["cell"], body_kinds=["cell"]),
            "authority.bodies[committee]",
        ),
        (lambda d: d["votes"].update(decide_share="3/2"), "votes.decide_share"),
        (lambda d: d["votes"].update(decide_share="half"), "votes.decide_share"),
        (lambda d: d["votes"].update(propose_share={"exile": "2/3"}), "votes.propose_share"),
        (lambda d: d["votes"].update(cumulative="yes"), "votes.cumulative"),
        (lambda d: d["lapse"].update(months=0), "lapse.months"),
        (lambda d: d["lapse"].update(never=["exile"]), "lapse.never"),
        (lambda d: d["appeals"].update(deadline_months=True), "appeals.deadline_months"),
        (lambda d: d["appeals"].update(bodies=[]), "appeals.bodies"),
        (
            lambda d: d["appeals"]["final_levels"][1].update(forms=["expulsion", "warning"]),
            "appeals.final_levels",
        ),
        (lambda d: d["bans"]["while_in_force"].update(bans=["exile"]), "bans.while_in_force.bans"),
        (
            lambda d: d["bans"]["after"].append({"form": "warning", "ban": "exile", "months": 1}),
            "bans.after",
        ),
        (lambda d: d.pop("bans"), "bans"),
    ],
)
def test_a_broken_section_is_refused_naming_the_key(change, complaint):
    with pytest.raises(ImproperlyConfigured) as caught:
        parse(_broken(change))
    assert f"[discipline] {complaint}" in str(caught.value)


def test_the_shipped_sections_parse():
    for ruleset_id in ("vn-2025", "test-alt"):
        assert parse(load_ruleset(ruleset_id)).ruleset_id == ruleset_id
