"""The figures of inspection and discipline in the statistics, the report and the dashboard:
counted exactly as issue 19's contract says, for a subtree and each subordinate unit, on the
period's edges, a sibling's records left out, annulled disciplines not counted; the seeds'
sentence in English (Vietnamese and Khmer render without error)."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cadrebook.core import contributions
from cadrebook.documents.services import document_register, term_create
from cadrebook.inspections.choices import AppealOutcome, DisciplineStatus, SubjectKind
from cadrebook.inspections.contributions import (
    DISCIPLINE_FIGURE,
    DISCIPLINE_SECTION,
    INSPECTION_FIGURE,
    INSPECTION_PANEL,
    INSPECTION_SECTION,
    inspection_chart,
    inspection_sentences,
)
from cadrebook.inspections.figures import discipline_figures, inspection_figures
from cadrebook.inspections.models import Appeal, Discipline
from cadrebook.inspections.services import (
    Finding,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
)
from cadrebook.reports import document
from cadrebook.reports.document import stats_csv
from cadrebook.reports.selectors import PeriodSource, unit_statistics

D = dt.date
BIRTH = D(1980, 3, 1)
Y2025 = (D(2025, 1, 1), D(2025, 12, 31))


@pytest.fixture
def bodies(tree: SimpleNamespace, inspector: Any) -> SimpleNamespace:
    """A decision and a conclusion of P, C1, C2 and G1, issued early in 2024."""
    result = {}
    for code in ("P", "C1", "C2", "G1"):
        unit = getattr(tree, code)
        term = term_create(actor=inspector, unit=unit, start=D(2024, 1, 1))
        result[code] = document_register(
            actor=inspector,
            type="decision",
            issuer=unit,
            term=term,
            date=D(2024, 1, 2),
            title="Quyết định kiểm tra",
        )
        result[f"{code}_conclusion"] = document_register(
            actor=inspector,
            type="conclusion",
            issuer=unit,
            term=term,
            date=D(2024, 1, 3),
            title="Kết luận kiểm tra",
        )
    return SimpleNamespace(**result)


@pytest.fixture
def people(tree: SimpleNamespace, make_member: Any) -> SimpleNamespace:
    """Full members k1, k1b (K1), k2 (K2), gc (GC, under C2); probationary pr (K2)."""
    return SimpleNamespace(
        k1=make_member(tree.K1, BIRTH, D(2010, 5, 1), recognized=True),
        k1b=make_member(tree.K1, BIRTH, D(2010, 5, 1), recognized=True),
        k2=make_member(tree.K2, BIRTH, D(2010, 5, 1), recognized=True),
        gc=make_member(tree.GC, BIRTH, D(2010, 5, 1), recognized=True),
        pr=make_member(tree.K2, BIRTH, D(2025, 1, 2)),
    )


@pytest.fixture
def inspections(
    tree: SimpleNamespace, inspector: Any, bodies: SimpleNamespace, people: SimpleNamespace
) -> SimpleNamespace:
    """Inspections by bodies inside C1 (C1, G1), above it (P) and beside it (C2), through
    the services, on the edges of 2025 and outside it."""
    codes = itertools.count(1)

    def open_(body: str, kind: str, day: dt.date, units: Any = (), members: Any = ()) -> Any:
        return inspection_open(
            actor=inspector,
            code=f"KT-{next(codes):02d}",
            body=getattr(tree, body),
            body_kind="committee" if body == "P" else "inspection_committee",
            kind=kind,
            decided_on=day,
            document=getattr(bodies, body),
            subject_units=[getattr(tree, u) for u in units],
            subject_members=[getattr(people, m) for m in members],
        )

    a = open_("C1", "thematic", D(2025, 1, 1), ["G1", "K1"], ["k1"])  # first day: in
    b = open_("G1", "supervision_thematic", D(2025, 6, 15), ["K1", "K2"], ["k1"])
    c = open_("G1", "surprise", D(2025, 12, 31), [], ["k1b"])  # last day: in
    open_("C1", "thematic", D(2024, 12, 31), ["K2"])  # the day before: the year before's
    open_("C1", "thematic", D(2026, 1, 1), ["K2"])  # the day after: out
    r1 = open_("P", "thematic", D(2025, 5, 5), ["G1", "GC"])  # inside C1 and beside it
    r2 = open_("P", "signs_of_violation", D(2025, 7, 7), [], ["k2"])
    open_("P", "thematic", D(2025, 8, 8), ["GC"])  # beside C1 only
    open_("C2", "thematic", D(2025, 3, 3), ["GC"], ["gc"])  # a sibling's body
    open_("P", "thematic", D(2024, 6, 6), ["K1"])  # received the year before
    # A's conclusion: a violation found on G1 and on k1, none on K1.
    for step, day in (("plan", 5), ("working", 10), ("report", 15)):
        inspection_record_step(actor=inspector, inspection=a, step=step, done_on=D(2025, 1, day))
    by_subject = {(s.unit_id or s.member_id, s.unit_id is None): s for s in a.subjects.all()}
    inspection_conclude(
        actor=inspector,
        inspection=a,
        concluded_on=D(2025, 1, 20),
        document=bodies.C1_conclusion,
        findings=[
            Finding(by_subject[(tree.G1.pk, False)], True, "personnel_work"),
            Finding(by_subject[(tree.K1.pk, False)], False),
            Finding(by_subject[(people.k1.pk, True)], True, "ethics_lifestyle"),
        ],
    )
    return SimpleNamespace(a=a, b=b, c=c, r1=r1, r2=r2)


def _discipline(tree: SimpleNamespace, subject: Any, form: str, day: dt.date, **kw: Any) -> Any:
    """A discipline written directly (the discipline service comes with its own branch)."""
    is_member = hasattr(subject, "full_name")
    body = kw.pop("body", tree.G1)
    values = {
        "subject_kind": SubjectKind.MEMBER if is_member else SubjectKind.UNIT,
        "member": subject if is_member else None,
        "unit": None if is_member else subject,
        "subject_status": kw.pop("standing", "full") if is_member else "",
        "subject_path": subject.unit.path if is_member else subject.path,
        "form": form,
        "body": body,
        "body_kind": "committee",
        "path": body.path,
        "decided_on": day,
        "violation": "Vi phạm",
        "violation_on": day - dt.timedelta(days=30),
        "ruleset": "vn-2025",
        **kw,
    }
    return Discipline.objects.create(**values)


def _appeal(discipline: Discipline, lodged: dt.date, **kw: Any) -> Appeal:
    return Appeal.objects.create(
        discipline=discipline,
        lodged_on=lodged,
        received_on=lodged - dt.timedelta(days=5),
        body=discipline.body,
        body_kind="inspection_committee",
        path=discipline.path,
        subject_path=discipline.subject_path,
        **kw,
    )


@pytest.fixture
def disciplines(tree: SimpleNamespace, people: SimpleNamespace) -> SimpleNamespace:
    """Disciplines of C1's members and organizations in 2025 (on its edges), outside it, an
    annulled one, one changed on appeal (and its replacement), and a sibling's."""
    d1 = _discipline(
        tree,
        people.k1,
        "reprimand",
        D(2025, 1, 1),
        duty_related=True,
        violation_kind="ethics_lifestyle",
    )
    d2 = _discipline(tree, people.k1b, "warning", D(2025, 12, 31))
    _discipline(tree, people.pr, "reprimand", D(2025, 5, 1), standing="probationary")
    _discipline(tree, tree.K2, "reprimand", D(2025, 6, 1), body=tree.C1)
    _discipline(tree, people.gc, "expulsion", D(2025, 4, 1), body=tree.C2)
    _discipline(tree, people.k2, "warning", D(2024, 12, 31))
    _discipline(tree, people.k1, "warning", D(2026, 1, 1))
    d7 = _discipline(tree, people.k2, "removal_from_post", D(2025, 2, 1))
    a1 = _appeal(d1, D(2025, 2, 1), decided_on=D(2025, 3, 1), outcome=AppealOutcome.UPHELD)
    a2 = _appeal(
        d7,
        D(2025, 2, 10),
        decided_on=D(2025, 3, 1),
        outcome=AppealOutcome.CHANGED,
        new_form="warning",
    )
    Discipline.objects.filter(pk=d7.pk).update(status=DisciplineStatus.CHANGED, annulled_by=a2)
    _discipline(tree, people.k2, "warning", D(2025, 3, 1))  # the changed form
    a3 = _appeal(d2, D(2025, 12, 31), decided_on=D(2026, 1, 5), outcome=AppealOutcome.ANNULLED)
    Discipline.objects.filter(pk=d2.pk).update(status=DisciplineStatus.ANNULLED, annulled_by=a3)
    return SimpleNamespace(d1=d1, d2=d2, a1=a1)


def test_the_figures_are_registered_by_their_app() -> None:
    assert INSPECTION_FIGURE in contributions.figures()
    assert DISCIPLINE_FIGURE in contributions.figures()
    assert INSPECTION_SECTION in contributions.report_sections()
    assert DISCIPLINE_SECTION in contributions.report_sections()
    assert INSPECTION_PANEL in contributions.panels()


def test_inspections_are_counted_by_the_bodies_inside_the_subtree_in_the_period(
    tree: SimpleNamespace, inspections: SimpleNamespace
) -> None:
    figures = inspection_figures([tree.C1, tree.G1], *Y2025)
    c1, g1 = figures[tree.C1.pk], figures[tree.G1.pk]
    # C1's and G1's own (A on 1 January, B, C on 31 December); not P's, not C2's, not those
    # of 31 December 2024 or 1 January 2026.
    assert c1["inspections"] == 3
    assert {k: n for k, n in c1["by_kind"].items() if n} == {
        "thematic": 1,
        "supervision_thematic": 1,
        "surprise": 1,
    }
    assert set(c1["by_kind"]) >= {"regular", "finances"}  # every kind, zeros included
    assert c1["supervisions"] == 1
    # Distinct subjects: G1, K1, K2 (K1 twice) and k1 (twice), k1b.
    assert (c1["units_inspected"], c1["members_inspected"]) == (3, 2)
    assert c1["subjects_by_kind"] == {
        "supervision_thematic": {"units": 2, "members": 1},
        "surprise": {"units": 0, "members": 1},
        "thematic": {"units": 2, "members": 1},
    }
    assert c1["violations_found"] == {"units": 1, "members": 1}
    # Received: P's on G1 (and GC: once) and on k2; not P's on GC only.
    assert c1["received_from_higher_levels"] == 2
    # G1: its own B and C; received C1's A (on G1 itself and below) and P's two.
    assert g1["inspections"] == 2
    assert (g1["units_inspected"], g1["members_inspected"]) == (2, 2)
    assert g1["violations_found"] == {"units": 0, "members": 0}
    assert g1["received_from_higher_levels"] == 3


def test_a_subtree_leaves_out_its_siblings_and_the_top_receives_nothing(
    tree: SimpleNamespace, inspections: SimpleNamespace
) -> None:
    figures = inspection_figures([tree.P, tree.C1, tree.C2], *Y2025)
    p, c1, c2 = figures[tree.P.pk], figures[tree.C1.pk], figures[tree.C2.pk]
    assert p["inspections"] == 7
    assert p["received_from_higher_levels"] == 0
    # G1, K1, K2, GC; k1, k1b, k2, gc.
    assert (p["units_inspected"], p["members_inspected"]) == (4, 4)
    assert c1["inspections"] == 3 and c1["received_from_higher_levels"] == 2
    assert c2["inspections"] == 1
    assert (c2["units_inspected"], c2["members_inspected"]) == (1, 1)
    assert c2["received_from_higher_levels"] == 2  # P's on G1 and GC, P's on GC


def test_the_period_s_edges(tree: SimpleNamespace, inspections: SimpleNamespace) -> None:
    day = inspection_figures([tree.C1], D(2025, 1, 1), D(2025, 1, 1))[tree.C1.pk]
    assert day["inspections"] == 1 and day["by_kind"]["thematic"] == 1
    before = inspection_figures([tree.C1], D(2024, 1, 1), D(2024, 12, 31))[tree.C1.pk]
    assert before["inspections"] == 1
    assert before["received_from_higher_levels"] == 1
    after = inspection_figures([tree.C1], D(2026, 1, 1), D(2026, 12, 31))[tree.C1.pk]
    assert after["inspections"] == 1 and after["units_inspected"] == 1


def test_disciplines_by_form_for_members_and_organizations(
    tree: SimpleNamespace, disciplines: SimpleNamespace
) -> None:
    figures = discipline_figures([tree.P, tree.C1, tree.C2], *Y2025)
    c1 = figures[tree.C1.pk]
    # k1 and pr reprimanded, k2 warned (the form his appeal changed removal from post to);
    # k1b's warning was annulled; the 2024 and 2026 ones are outside the period.
    # The contract's "for members and for organizations": `organizations`, and `units`,
    # its first name, kept alongside.
    assert c1["by_form"] == {
        "members": {"reprimand": 2, "warning": 1, "removal_from_post": 0, "expulsion": 0},
        "organizations": {"reprimand": 1, "warning": 0, "dissolution": 0},
        "units": {"reprimand": 1, "warning": 0, "dissolution": 0},
    }
    assert (c1["members"], c1["units"]) == (3, 1)
    assert c1["members_by_standing"] == {
        "full": {"reprimand": 1, "warning": 1},
        "probationary": {"reprimand": 1},
    }
    assert c1["duty_related"] == 1
    assert c1["by_violation_kind"] == {"ethics_lifestyle": 1, "unspecified": 3}
    # Appeals of C1's subjects lodged in 2025 (three), decided in 2025 (upheld, changed);
    # the annulment of 2026 is not 2025's.
    assert c1["appeals"] == {
        "lodged": 3,
        "decided": {"upheld": 1, "changed": 1, "annulled": 0},
    }
    # The sibling's expulsion is C2's, and both are P's.
    assert figures[tree.C2.pk]["by_form"]["members"]["expulsion"] == 1
    assert c1["by_form"]["members"]["expulsion"] == 0
    assert figures[tree.P.pk]["by_form"]["members"] == {
        "reprimand": 2,
        "warning": 1,
        "removal_from_post": 0,
        "expulsion": 1,
    }
    before = discipline_figures([tree.C1], D(2024, 1, 1), D(2024, 12, 31))[tree.C1.pk]
    assert before["by_form"]["members"]["warning"] == 1 and before["members"] == 1


def test_an_annulled_discipline_is_not_counted(
    tree: SimpleNamespace, disciplines: SimpleNamespace
) -> None:
    day = (D(2025, 12, 31), D(2025, 12, 31))
    assert discipline_figures([tree.K1], *day)[tree.K1.pk]["members"] == 0
    Discipline.objects.filter(pk=disciplines.d2.pk).update(status=DisciplineStatus.IN_FORCE)
    assert discipline_figures([tree.K1], *day)[tree.K1.pk]["by_form"]["members"]["warning"] == 1


def test_the_queries_do_not_grow_with_the_units(
    tree: SimpleNamespace, inspections: SimpleNamespace, disciplines: SimpleNamespace
) -> None:
    with CaptureQueriesContext(connection) as few:
        inspection_figures([tree.P, tree.C1, tree.C2], *Y2025)
        discipline_figures([tree.P, tree.C1, tree.C2], *Y2025)
    with CaptureQueriesContext(connection) as one:
        inspection_figures([tree.P], *Y2025)
        discipline_figures([tree.P], *Y2025)
    # One for the inspections, two per depth for the subjects, one per depth below the top
    # for those received (the top unit has no body above it); one for the disciplines, one
    # for the appeals.
    assert len(few.captured_queries) == 1 + 2 * 2 + 1 + 2
    assert len(one.captured_queries) == 1 + 2 + 0 + 2


def test_the_statistics_the_csv_the_report_and_the_chart_carry_them(
    tree: SimpleNamespace, inspections: SimpleNamespace, disciplines: SimpleNamespace
) -> None:
    stats = unit_statistics(tree.C1, *Y2025, source=PeriodSource())
    assert stats["inspection"]["inspections"] == 3
    assert stats["inspection"]["received_from_higher_levels"] == 2
    assert stats["discipline"]["by_form"]["units"]["reprimand"] == 1
    assert stats["previous"]["inspection"]["inspections"] == 1
    assert stats["previous"]["discipline"]["members"] == 1
    [g1] = stats["children"]
    assert g1["inspection"]["received_from_higher_levels"] == 3
    csv = stats_csv(stats)
    assert "inspection,by_kind.surprise,1" in csv
    assert "discipline,by_form.members.reprimand,2" in csv
    text = document.narrative(stats, "en")
    # Completed: only KT-01 was concluded (the others decided in 2025 are still open).
    assert (
        "Completed 1 thematic inspection or supervision of 2 party organizations and 1 "
        "individual; received 2 inspection teams from higher levels."
    ) in text
    assert "Disciplined 3 members (Reprimand: 2, Warning: 1) and 1 party organization" in text
    titles = [t.title for t in document.tables(stats, "en")]
    assert "Inspections and supervisions" in titles
    assert "Disciplines by form" in titles
    assert "Appeals against disciplines" in titles
    for language in ("vi", "km"):
        assert document.narrative(stats, language)
        assert document.tables(stats, language)
    chart = inspection_chart(stats)
    assert ["Surprise inspection", 1, None, None] in chart.rows
    assert ["Reprimand", None, 2, 1] in chart.rows


def test_completed_means_concluded_in_the_period_whenever_decided(
    tree: SimpleNamespace, inspector: Any, bodies: SimpleNamespace, people: SimpleNamespace
) -> None:
    def open_(code: str, day: dt.date, kind: str = "thematic") -> Any:
        return inspection_open(
            actor=inspector,
            code=code,
            body=tree.C1,
            body_kind="inspection_committee",
            kind=kind,
            decided_on=day,
            document=bodies.C1,
            subject_units=[tree.K1],
            subject_members=[people.k1],
        )

    late = open_("KT-2024", D(2024, 11, 4))  # decided the year before, concluded in 2025
    open_("KT-OPEN", D(2025, 3, 3), "surprise")  # decided in 2025, still open
    for step, day in (("plan", 10), ("working", 20), ("report", 25)):
        inspection_record_step(
            actor=inspector, inspection=late, step=step, done_on=D(2024, 11, day)
        )
    inspection_conclude(
        actor=inspector,
        inspection=late,
        concluded_on=D(2025, 1, 20),
        document=bodies.C1_conclusion,
        findings=[Finding(s, False) for s in late.subjects.all()],
    )
    figure = inspection_figures([tree.C1], *Y2025)[tree.C1.pk]
    assert figure["inspections"] == 1 and figure["by_kind"]["surprise"] == 1  # decided
    assert figure["completed"] == 1 and figure["completed_by_kind"] == {"thematic": 1}
    assert figure["completed_subjects_by_kind"] == {"thematic": {"units": 1, "members": 1}}
    from django.utils import translation

    with translation.override("en"):
        assert inspection_sentences({"inspection": figure}) == [
            "Completed 1 thematic inspection or supervision of 1 party organization and 1 "
            "individual."
        ]


def test_disciplined_members_are_counted_once_however_many_decisions(
    tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    _discipline(tree, people.k1, "reprimand", D(2025, 2, 1))
    _discipline(tree, people.k1, "warning", D(2025, 9, 1), violation="Vi phạm khác")
    _discipline(tree, people.k1b, "reprimand", D(2025, 3, 1))
    figure = discipline_figures([tree.C1], *Y2025)[tree.C1.pk]
    assert figure["members"] == 3 and figure["members_disciplined"] == 2
    from django.utils import translation

    with translation.override("en"):
        [sentence] = DISCIPLINE_SECTION.sentences({"discipline": figure})
    assert sentence.startswith("Disciplined 2 members (Reprimand: 2, Warning: 1)")


def test_the_seeds_sentence_is_built_from_the_figures() -> None:
    """ "Completed 9 thematic inspections and supervisions of 35 party organizations and 13
    individuals; 1 surprise inspection; received 5 inspection teams from higher levels." """
    stats = {
        "inspection": {
            "inspections": 10,
            "by_kind": {"thematic": 6, "supervision_thematic": 3, "surprise": 1, "regular": 0},
            "subjects_by_kind": {
                "thematic": {"units": 20, "members": 13},
                "supervision_thematic": {"units": 15, "members": 0},
            },
            "received_from_higher_levels": 5,
        }
    }
    from django.utils import translation

    with translation.override("en"):
        assert inspection_sentences(stats) == [
            "Completed 9 thematic inspections and supervisions of 35 party organizations and "
            "13 individuals; 1 surprise inspection; received 5 inspection teams from higher "
            "levels."
        ]
        one = {"inspection": {"by_kind": {"surprise": 1}, "received_from_higher_levels": 1}}
        assert inspection_sentences(one) == [
            "Completed 1 surprise inspection; received 1 inspection team from higher levels."
        ]
        received = {"inspection": {"by_kind": {}, "received_from_higher_levels": 2}}
        assert inspection_sentences(received) == ["Received 2 inspection teams from higher levels."]
        assert inspection_sentences({"inspection": {"by_kind": {}}}) == []
    for language in ("vi", "km"):
        with translation.override(language):
            [sentence] = inspection_sentences(stats)
            assert "9" in sentence and "35" in sentence and "5" in sentence


def test_the_sentence_counts_a_subject_of_two_kinds_stated_together_once(
    tree: SimpleNamespace,
    inspector: Any,
    bodies: SimpleNamespace,
    people: SimpleNamespace,
    inspections: SimpleNamespace,
) -> None:
    """K1 and k1 were subjects of both the thematic inspection A and the thematic
    supervision B: the sentence's "of N party organizations and M individuals" counts them
    once, as `units_inspected` and `members_inspected` do."""
    from django.utils import translation

    b = inspections.b
    for step, day in (("plan", 20), ("working", 25), ("report", 28)):
        inspection_record_step(actor=inspector, inspection=b, step=step, done_on=D(2025, 6, day))
    inspection_conclude(
        actor=inspector,
        inspection=b,
        concluded_on=D(2025, 7, 1),
        document=bodies.G1_conclusion,
        findings=[Finding(s, False) for s in b.subjects.all()],
    )
    figure = inspection_figures([tree.C1], *Y2025)[tree.C1.pk]
    # Per kind: A on G1, K1 and k1; B on K1, K2 and k1.
    assert figure["completed_subjects_by_kind"] == {
        "supervision_thematic": {"units": 2, "members": 1},
        "thematic": {"units": 2, "members": 1},
    }
    # Over the group: G1, K1, K2 and k1, each once.
    assert figure["completed_subjects_by_group"] == {
        "thematic+supervision_thematic": {"units": 3, "members": 1}
    }
    with translation.override("en"):
        [sentence] = inspection_sentences({"inspection": figure})
    assert sentence.startswith(
        "Completed 2 thematic inspections and supervisions of 3 party organizations and "
        "1 individual"
    ), sentence
