"""The register lists the cadre records that cite a document: the posts held on it, the
ends and corrections it decided, the planning it approved or removed people from, the
rotation plans it decided; only to users who may view those records, naming the person but
none of their personal data."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model

from cadrebook.accounts.services import role_grant
from cadrebook.cadres.citations import post_citations
from cadrebook.cadres.services import (
    holding_correct,
    holding_end,
    planning_add,
    planning_remove,
    post_appoint,
    rotation_plan_record,
)
from cadrebook.documents.citations import citing_records, providers
from cadrebook.documents.services import document_register

D = dt.date


def test_cadre_records_citing_a_document_are_listed_to_readers_in_scope(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    assert post_citations in providers()
    later = document_register(
        actor=organizer,
        type="decision",
        issuer=tree.C1,
        term=terms.c1,
        date=D(2025, 9, 1),
        title="Thôi giữ chức vụ",
    )
    held = post_appoint(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="inspection_chair",
        started_on=D(2025, 3, 10),
        document=decision,
        outside_planning_text="05-QĐ/TU",
    )
    holding_end(
        actor=organizer, holding=held, ended_on=D(2025, 9, 1), reason="resigned", document=later
    )
    entry = planning_add(
        actor=organizer,
        unit=tree.C1,
        term=terms.c1,
        position="secretary",
        member=people.k1b,
        added_on=D(2025, 3, 1),
        document=decision,
    )
    planning_remove(
        actor=organizer,
        entry=entry,
        removed_on=D(2025, 9, 1),
        reason="other",
        note="Chuyển công tác",
        document=later,
    )
    rotation_plan_record(
        actor=organizer, unit=tree.C1, year=2025, decided_on=D(2025, 3, 5), document=decision
    )
    wrong = post_appoint(
        actor=organizer,
        member=people.k1b,
        unit=tree.C1,
        position="committee_member",
        started_on=D(2025, 9, 2),
        outside_planning_text="05-QĐ/TU",
    )
    holding_correct(actor=organizer, holding=wrong, reason="Ghi nhầm", document=later)

    first = [(c.kind, c.date) for c in citing_records(decision, organizer)]
    assert ("appointment", D(2025, 3, 10)) in first
    assert ("planning", D(2025, 3, 1)) in first
    assert ("rotation", D(2025, 3, 5)) in first
    cited = citing_records(later, organizer)
    labels = [c.label for c in cited]
    assert any(people.k1.full_name in label and "ended" in label for label in labels)
    assert any(people.k1b.full_name in label and "planning" in label for label in labels)
    assert any("voided" in label for label in labels)
    assert all(c.url is None or c.url.startswith("/") for c in cited)
    # No personal data in a citation.
    birth = people.k1.birth_date.isoformat()
    assert not [label for label in labels if birth in label]
    # Out of scope: nothing of C1's cadre records.
    other = get_user_model().objects.create_user(username="c2-viewer")
    role_grant(actor=None, user=other, role="organizer", unit=tree.C2)
    kinds = {c.kind for c in citing_records(decision, other) + citing_records(later, other)}
    assert not kinds & {"appointment", "planning", "rotation"}
