"""Every figure of the statistics on small scenarios where the right answer is obvious."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.core.errors import ServiceError
from cadrebook.evaluations.services import target_set
from cadrebook.members import services
from cadrebook.members.expulsion import by_discipline_decision
from cadrebook.members.models import MemberEvent
from cadrebook.reports import figures
from cadrebook.reports.selectors import (
    PeriodSource,
    membership_history,
    unit_statistics,
    unit_tree_sizes,
)

D = dt.date
YEAR_2024 = (D(2024, 1, 1), D(2024, 12, 31))


def stats(unit: Any, date_from: dt.date, date_to: dt.date, as_of: dt.date | None = None) -> Any:
    return unit_statistics(unit, date_from, date_to, as_of, source=PeriodSource())


def children(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["unit"]: c for c in result["children"]}


@pytest.fixture
def full_members(tree: SimpleNamespace, make_member: Any) -> Any:
    """Three full members in K1, recognized in 2021."""
    return [make_member(tree.K1, D(1990, 5, 5), D(2020, 3, 1), recognized=True) for _ in range(3)]


def test_percentages_round_half_up_to_two_decimals() -> None:
    assert figures.percent(830, 820) == 101.22
    assert figures.percent(1, 3) == 33.33
    assert figures.percent(2, 3) == 66.67
    assert figures.percent(5, 0) is None
    assert figures.change_percent(75, 30) == 150.0
    assert figures.change_percent(3, 0) is None


@pytest.mark.parametrize(
    ("birth", "on", "years"),
    [
        (D(1994, 12, 31), D(2024, 12, 31), 30),
        (D(1995, 1, 1), D(2024, 12, 31), 29),
        (D(2000, 2, 29), D(2031, 2, 28), 31),
        (D(2000, 2, 29), D(2031, 2, 27), 30),
    ],
)
def test_latest_birth_date_agrees_with_whole_years(birth: Any, on: Any, years: int) -> None:
    from cadrebook.core.dates import age_in_years

    assert age_in_years(birth, on) == years
    assert birth <= figures.latest_birth_date(on, years)
    assert birth > figures.latest_birth_date(on, years + 1)


def test_members_by_status_exempt_and_the_dead(
    tree: SimpleNamespace, make_member: Any, full_members: Any, actor: Any
) -> None:
    prob = make_member(tree.K1, D(1995, 1, 1), D(2024, 6, 1))
    exempt = full_members[0]
    services.member_exempt(actor=actor, member=exempt, date=D(2024, 3, 1), reason="health")
    dead = make_member(tree.K2, D(1960, 1, 1), D(2015, 1, 1), recognized=True)
    services.member_record_death(taken_over=True, actor=actor, member=dead, date=D(2024, 10, 1))
    make_member(tree.K2, D(1999, 1, 1))  # an applicant is not a member

    result = stats(tree.P, *YEAR_2024)
    m = result["members"]
    assert (m["total"], m["full"], m["probationary"], m["exempt"]) == (4, 3, 1, 1)
    assert result["movements"]["deceased"] == 1
    assert result["movements"]["exempted"] == 1
    assert result["movements"]["admitted"] == 1
    # Before the death the member counted.
    assert stats(tree.P, *YEAR_2024, as_of=D(2024, 9, 30))["members"]["total"] == 5
    assert prob.status == "probationary"


def test_transfer_inside_the_subtree_is_a_movement_only_of_the_two_cells(
    tree: SimpleNamespace, full_members: Any, actor: Any
) -> None:
    services.member_transfer(
        actor=actor, member=full_members[0], date=D(2024, 5, 2), to_unit=tree.K2
    )
    g1 = stats(tree.G1, *YEAR_2024)
    assert g1["movements"]["transferred_in"] == 0
    assert g1["movements"]["transferred_out"] == 0
    cells = children(g1)
    assert cells["K1"]["movements"]["transferred_out"] == 1
    assert cells["K1"]["movements"]["transferred_in"] == 0
    assert cells["K2"]["movements"]["transferred_in"] == 1
    assert cells["K1"]["members"]["total"] == 2
    assert cells["K2"]["members"]["total"] == 1
    assert stats(tree.K2, *YEAR_2024)["movements"]["transferred_in"] == 1
    assert stats(tree.P, *YEAR_2024)["movements"]["transferred_in"] == 0


def test_member_transferred_out_of_the_subtree_counts_in_the_receiving_one(
    tree: SimpleNamespace, full_members: Any, actor: Any
) -> None:
    services.member_transfer(
        actor=actor, member=full_members[0], date=D(2024, 5, 2), to_unit=tree.GC
    )
    c1 = stats(tree.C1, *YEAR_2024)
    c2 = stats(tree.C2, *YEAR_2024)
    assert (c1["members"]["total"], c2["members"]["total"]) == (2, 1)
    assert (c1["movements"]["transferred_out"], c2["movements"]["transferred_in"]) == (1, 1)
    p = stats(tree.P, *YEAR_2024)
    assert p["members"]["total"] == 3
    assert children(p)["C1"]["movements"]["transferred_out"] == 1
    assert children(p)["C2"]["movements"]["transferred_in"] == 1
    # Before the transfer the member still counted in C1.
    assert stats(tree.C1, *YEAR_2024, as_of=D(2024, 5, 1))["members"]["total"] == 3


def test_transfer_out_of_the_deployment_and_the_endings(
    tree: SimpleNamespace, make_member: Any, actor: Any
) -> None:
    a, b, c = (make_member(tree.GC, D(1980, 1, 1), D(2018, 1, 1), recognized=True) for _ in "abc")
    services.member_transfer_out(
        actor=actor, member=a, date=D(2024, 2, 1), destination="Đảng bộ tỉnh Lâm Đồng"
    )
    services.member_remove(
        taken_over=True, actor=actor, member=b, date=D(2024, 3, 1), reason="absent"
    )
    with by_discipline_decision():  # the discipline service's route
        services.member_expel(
            taken_over=True, actor=actor, member=c, date=D(2024, 4, 1), reason="discipline"
        )
    late = make_member(tree.GC, D(1990, 1, 1), D(2023, 1, 10))
    services.member_not_recognize(
        taken_over=True, actor=actor, member=late, date=D(2024, 2, 1), reason="x"
    )
    moves = stats(tree.P, *YEAR_2024)["movements"]
    assert moves["transferred_out"] == 1
    assert (moves["removed"], moves["expelled"], moves["not_recognized"]) == (1, 1, 1)
    assert stats(tree.P, *YEAR_2024)["members"]["total"] == 0


def test_admitted_in_december_recognized_the_next_december(
    tree: SimpleNamespace, make_member: Any, actor: Any
) -> None:
    member = make_member(tree.K1, D(1995, 1, 1), D(2023, 12, 10))
    services.member_recognize(taken_over=True, actor=actor, member=member, date=D(2024, 12, 10))
    y2023 = stats(tree.P, D(2023, 1, 1), D(2023, 12, 31))
    y2024 = stats(tree.P, *YEAR_2024)
    assert (y2023["movements"]["admitted"], y2023["movements"]["recognized"]) == (1, 0)
    assert (y2024["movements"]["admitted"], y2024["movements"]["recognized"]) == (0, 1)
    assert y2023["members"]["probationary"] == 1
    assert y2024["members"]["full"] == 1
    # The previous-year figures and the change are those of 2023.
    assert y2024["previous"]["movements"]["admitted"] == 1
    assert y2024["change_pct"]["movements"]["admitted"] == -100.0
    assert y2024["change_pct"]["movements"]["recognized"] is None


def test_readmission(tree: SimpleNamespace, make_member: Any, actor: Any) -> None:
    member = make_member(tree.K1, D(1980, 1, 1), D(2015, 1, 1), recognized=True)
    services.member_remove(
        taken_over=True, actor=actor, member=member, date=D(2020, 1, 1), reason="absent"
    )
    services.member_readmit(taken_over=True, actor=actor, member=member, date=D(2024, 1, 15))
    result = stats(tree.P, *YEAR_2024)
    assert result["movements"]["readmitted"] == 1
    assert result["movements"]["admitted"] == 0
    assert result["members"]["probationary"] == 1


def test_breakdowns_add_up_to_the_total(
    tree: SimpleNamespace, make_member: Any, actor: Any
) -> None:
    make_member(tree.K1, D(1993, 12, 31), D(2020, 1, 1), recognized=True, ethnicity="Kinh")
    make_member(
        tree.K1, D(1994, 1, 1), D(2020, 1, 1), recognized=True, gender="female", ethnicity="Tày"
    )
    make_member(tree.K1, D(1960, 6, 1), D(2010, 1, 1), recognized=True, education_level="primary")
    young = make_member(tree.K2, D(2000, 1, 1), D(2024, 2, 1), gender="female")
    assert young.status == "probationary"
    full = [m for m in MemberEvent.objects.filter(type="recognized")]
    services.member_set_card(actor=actor, member=full[0].member, card_number="01.234567")

    m = stats(tree.P, *YEAR_2024)["members"]
    assert m["total"] == 4
    assert m["by_gender"] == {"male": 2, "female": 2}
    assert m["by_age_bracket"] == {"18-30": 2, "31-40": 1, "41-50": 0, "51-60": 0, "61+": 1}
    assert m["by_age_bracket_gender"]["18-30"] == {"male": 0, "female": 2}
    assert m["by_ethnicity"]["majority"] == 1
    assert m["by_ethnicity"]["minorities"] == 1
    assert m["by_ethnicity"]["unknown"] == 2
    assert m["by_ethnicity"]["groups"] == {"Kinh": 1, "Tày": 1}
    assert m["by_education"]["primary"] == 1
    assert m["by_education"]["unknown"] == 3
    assert sum(m["by_theory"].values()) == 4
    assert (m["full_with_card"], m["full_without_card"]) == (1, 2)
    for key in ("by_gender", "by_age_bracket", "by_education", "by_theory"):
        assert sum(m[key].values()) == m["total"], key


def test_units_by_kind_and_cells_below_the_minimum(
    tree: SimpleNamespace, full_members: Any, make_member: Any
) -> None:
    make_member(tree.K2, D(1990, 1, 1), D(2020, 1, 1), recognized=True)
    units = stats(tree.P, *YEAR_2024)["units"]
    assert units["total"] == 7
    assert units["by_kind"] == {
        "province_committee": 1,
        "commune_committee": 2,
        "grassroots_committee": 1,
        "cell": 2,
        "grassroots_cell": 1,
    }
    # K1 has 3 full members; K2 has 1 and GC none.
    assert units["cells_below_minimum"] == 2
    assert units["cell_min_full_members"] == 3
    # A unit founded after the date does not exist yet.
    assert stats(tree.P, D(1900, 1, 1), D(1900, 12, 31))["units"]["total"] == 7 - 0 * 1


def test_targets_with_achievement(tree: SimpleNamespace, make_member: Any, actor: Any) -> None:
    for _ in range(3):
        make_member(tree.K1, D(1995, 1, 1), D(2024, 3, 1))
    make_member(tree.GC, D(1995, 1, 1), D(2024, 3, 1))
    target_set(actor=actor, unit=tree.P, year=2024, indicator="admissions", target=3)
    target_set(actor=actor, unit=tree.C1, year=2024, indicator="admissions", target=2)
    target_set(actor=actor, unit=tree.C2, year=2024, indicator="admissions", target=3)
    result = stats(tree.P, *YEAR_2024)
    assert result["targets"] == [
        {
            "indicator": "admissions",
            "year": 2024,
            "target": 3,
            "actual": 4,
            "achievement_pct": 133.33,
        }
    ]
    kids = children(result)
    assert kids["C1"]["targets"][0]["achievement_pct"] == 150.0
    assert kids["C2"]["targets"][0]["achievement_pct"] == 33.33
    # A half-year period still reports the year's target against the whole year's actual.
    half = stats(tree.P, D(2024, 1, 1), D(2024, 2, 28))
    assert half["movements"]["admitted"] == 0
    assert half["targets"][0]["actual"] == 4


def test_corrections_apply(tree: SimpleNamespace, make_member: Any, actor: Any) -> None:
    a = make_member(tree.K1, D(1995, 1, 1), D(2024, 3, 1))
    b = make_member(tree.K1, D(1995, 1, 1), D(2024, 4, 1), registered_on=D(2023, 1, 1))
    admitted_a = MemberEvent.objects.get(member=a, type="admitted")
    admitted_b = MemberEvent.objects.get(member=b, type="admitted")
    services.member_correct_event(actor=actor, event=admitted_a, reason="typo", void=True)
    services.member_correct_event(actor=actor, event=admitted_b, reason="typo", date=D(2023, 12, 1))
    y2024 = stats(tree.P, *YEAR_2024)
    y2023 = stats(tree.P, D(2023, 1, 1), D(2023, 12, 31))
    assert y2024["movements"]["admitted"] == 0
    assert y2023["movements"]["admitted"] == 1
    assert y2024["members"]["total"] == 1


def test_reversed_period_is_refused(tree: SimpleNamespace) -> None:
    with pytest.raises(ServiceError) as err:
        stats(tree.P, D(2024, 12, 31), D(2024, 1, 1))
    assert err.value.code == "report.period_reversed"


def test_history_and_tree_sizes(tree: SimpleNamespace, full_members: Any, make_member: Any) -> None:
    make_member(tree.GC, D(1990, 1, 1), D(2024, 1, 1))
    history = membership_history(tree.P, D(2024, 12, 31), years=5, source=PeriodSource())
    assert [h["year"] for h in history] == [2020, 2021, 2022, 2023, 2024]
    assert [h["total"] for h in history] == [3, 3, 3, 3, 4]
    assert history[1]["full"] == 3
    sizes = unit_tree_sizes(tree.P, D(2024, 12, 31), depth=3)
    assert sizes["value"] == 4
    assert [(c["unit"], c["value"]) for c in sizes["children"]] == [("C1", 3), ("C2", 1)]
    assert sizes["children"][0]["children"][0]["unit"] == "G1"
