"""The terms pages: a unit's terms listed (running or ended, documents in each, next numbers),
reached from the register and the unit page; opening a term, a refusal of the service on its
field with nothing written; closing the running term after a confirmation; who may do it
(the viewer sees the list, no buttons, and is refused a POST); out of scope answers 404; the
audit entries the services write."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.documents.models import Term

D = dt.date


@pytest.fixture
def people(tree: SimpleNamespace) -> dict[str, Any]:
    """An organizer of P (issues documents), a viewer of P (reads only), an organizer of C2
    (P and C1 are outside its subtree). Each with its user and a signed-in client."""
    people: dict[str, Any] = {}
    for name, role, unit in [
        ("organizer", "organizer", tree.P),
        ("viewer", "viewer", tree.P),
        ("other", "organizer", tree.C2),
    ]:
        user = get_user_model().objects.create_user(username=name)
        role_grant(actor=None, user=user, role=role, unit=unit)
        client = Client()
        client.force_login(user)
        people[name] = client
        people[f"{name}_user"] = user
    return people


def _written() -> tuple[int, int, list[Any]]:
    """What a refusal must leave as it was: the terms, the audit log, every term's end."""
    ends = list(Term.objects.order_by("pk").values_list("end", flat=True))
    return Term.objects.count(), AuditEntry.objects.count(), ends


def _error(response: Any, field: str) -> str:
    """The refusal shown next to `field` on the form ("" when there is none)."""
    found = re.search(rf'data-testid="error-{field}">([^<]*)<', response.content.decode())
    return found.group(1) if found else ""


def test_the_terms_of_a_unit_are_listed_with_their_documents_and_next_numbers(
    people: dict[str, Any], terms: SimpleNamespace, register: Any
) -> None:
    for _ in range(3):
        register("resolution")
    register("decision")
    page = people["organizer"].get(reverse("documents:terms", args=["P"]))
    assert page.status_code == 200
    text = page.content.decode()
    running = text.split('data-testid="term-2025-2030"')[1].split("</tr>")[0]
    ended = text.split('data-testid="term-2020-2025"')[1].split("</tr>")[0]
    assert 'data-testid="running"' in running and 'data-testid="running"' not in ended
    # Four documents in the running term: the next resolution is 4, the next decision 2.
    assert ">4</a>" in running and "NQ: 4" in running and "QĐ: 2" in running
    assert ">0</a>" in ended and 'data-testid="close-term"' not in ended
    assert 'data-testid="close-term"' in running and 'data-testid="open-term"' in text
    # The latest first, and C1's term is not P's.
    assert text.index("term-2025-2030") < text.index("term-2020-2025")
    assert text.count('data-testid="term-20') == 2
    # Reached from the register and from the unit page's documents panel.
    link = reverse("documents:terms", args=["P"])
    register_page = people["organizer"].get(reverse("documents:register"), {"unit": "P"})
    assert f'href="{link}"' in register_page.content.decode()
    unit_page = people["organizer"].get(reverse("orgs:detail", args=["P"]))
    panel = unit_page.content.decode().split('data-testid="documents-panel"')[1]
    assert f'href="{link}"' in panel


def test_a_viewer_sees_the_terms_but_may_neither_open_nor_close_one(
    people: dict[str, Any], terms: SimpleNamespace
) -> None:
    viewer = people["viewer"]
    page = viewer.get(reverse("documents:terms", args=["P"]))
    text = page.content.decode()
    assert page.status_code == 200 and "2025-2030" in text
    assert 'data-testid="open-term"' not in text and 'data-testid="close-term"' not in text
    before = _written()
    new = reverse("documents:term_new", args=["C2"])
    close = reverse("documents:term_close", args=["P", terms.new.pk])
    assert viewer.get(new).status_code == 403
    assert viewer.post(new, {"start": "2021-01-01"}).status_code == 403
    assert viewer.get(close).status_code == 403
    assert viewer.post(close, {"end": "2026-03-01", "confirmed": "yes"}).status_code == 403
    assert _written() == before


def test_out_of_scope_answers_as_a_unit_that_does_not_exist(
    people: dict[str, Any], terms: SimpleNamespace
) -> None:
    other = people["other"]
    before = _written()
    for name, args in [
        ("documents:terms", ["P"]),
        ("documents:term_new", ["P"]),
        ("documents:term_close", ["P", terms.new.pk]),
    ]:
        url = reverse(name, args=args)
        assert other.get(url).status_code == 404, url
        missing = reverse(name, args=["NOPE", *args[1:]])
        assert other.get(missing).status_code == 404, missing
    close = reverse("documents:term_close", args=["P", terms.new.pk])
    assert other.post(close, {"end": "2026-03-01", "confirmed": "yes"}).status_code == 404
    assert (
        other.post(reverse("documents:term_new", args=["P"]), {"start": "2031-01-01"}).status_code
        == 404
    )
    # A term of another unit, under a unit the user may issue for: 404 too.
    organizer = people["organizer"]
    wrong = reverse("documents:term_close", args=["C2", terms.c1.pk])
    assert organizer.get(wrong).status_code == 404
    assert organizer.post(wrong, {"end": "2025-07-31", "confirmed": "yes"}).status_code == 404
    assert _written() == before


def test_opening_a_term_writes_it_with_its_audit_entry(
    people: dict[str, Any], tree: SimpleNamespace
) -> None:
    url = reverse("documents:term_new", args=["C2"])
    form = people["organizer"].get(url)
    assert form.status_code == 200 and 'name="start"' in form.content.decode()
    done = people["organizer"].post(url, {"start": "2020-07-01"})
    assert done.status_code == 302 and done["Location"] == reverse("documents:terms", args=["C2"])
    term = Term.objects.get(unit=tree.C2)
    # The label from its years (the rule set's term length while it runs), the issuer's
    # printed code from the unit's kind: the service's defaults.
    assert (term.label, term.start, term.end, term.issuer_symbol) == (
        "2020-2025",
        D(2020, 7, 1),
        None,
        "ĐU",
    )
    entry = AuditEntry.objects.get(event_type="term.created", object_id=str(term.pk))
    assert entry.actor == people["organizer_user"] and entry.unit_id == tree.C2.pk
    assert entry.after["label"] == "2020-2025" and entry.after["end"] is None


def test_the_next_term_is_offered_from_the_day_after_the_last_one_closed(
    people: dict[str, Any], terms: SimpleNamespace
) -> None:
    # C1's term ended on 2025-07-31 and none runs: the next starts on 2025-08-01.
    form = people["organizer"].get(reverse("documents:term_new", args=["C1"]))
    assert 'name="start" value="2025-08-01"' in form.content.decode()
    # P's runs: nothing is offered.
    running = people["organizer"].get(reverse("documents:term_new", args=["P"]))
    assert 'name="start" value=' not in running.content.decode()


def test_a_term_the_service_refuses_is_shown_on_its_field_and_nothing_is_written(
    people: dict[str, Any], terms: SimpleNamespace
) -> None:
    url = reverse("documents:term_new", args=["P"])
    organizer = people["organizer"]
    before = _written()
    # P's term 2025-2030 runs: a term starting inside it overlaps.
    overlap = organizer.post(url, {"start": "2026-01-01", "label": "2026-2031"})
    assert overlap.status_code == 422
    assert "overlaps the term 2025-2030" in _error(overlap, "start")
    assert 'data-testid="error-summary"' in overlap.content.decode()
    backwards = organizer.post(url, {"start": "2031-01-01", "end": "2030-01-01"})
    assert backwards.status_code == 422 and "cannot end before" in _error(backwards, "end")
    taken = organizer.post(url, {"start": "2010-01-01", "end": "2015-01-01", "label": "2020-2025"})
    assert taken.status_code == 422 and "already has a term 2020-2025" in _error(taken, "label")
    empty = organizer.post(url, {})
    assert empty.status_code == 422 and _error(empty, "start")
    assert _written() == before


def test_closing_the_running_term_asks_for_confirmation_first(
    people: dict[str, Any], terms: SimpleNamespace, register: Any
) -> None:
    register("resolution")  # dated 2026-01-05
    url = reverse("documents:term_close", args=["P", terms.new.pk])
    organizer = people["organizer"]
    form = organizer.get(url)
    assert form.status_code == 200 and 'name="end"' in form.content.decode()
    before = _written()
    # A document dated after the end: refused before the confirmation, on the field.
    refused = organizer.post(url, {"end": "2025-12-31"})
    assert refused.status_code == 422
    assert "01-NQ/TU of 2026-01-05 would fall after the end" in _error(refused, "end")
    assert 'data-testid="confirm-box"' not in refused.content.decode()
    # Accepted: shown back to be confirmed, nothing written yet.
    asked = organizer.post(url, {"end": "2026-03-01"})
    text = asked.content.decode()
    assert asked.status_code == 200 and 'data-testid="confirm-box"' in text
    assert 'name="confirmed" value="yes"' in text and 'value="2026-03-01"' in text
    assert _written() == before
    terms.new.refresh_from_db()
    assert terms.new.end is None
    done = organizer.post(url, {"end": "2026-03-01", "confirmed": "yes"})
    assert done.status_code == 302 and done["Location"] == reverse("documents:terms", args=["P"])
    terms.new.refresh_from_db()
    assert terms.new.end == D(2026, 3, 1)
    entry = AuditEntry.objects.get(event_type="term.closed", object_id=str(terms.new.pk))
    assert entry.actor == people["organizer_user"] and entry.action == "update"
    assert entry.before["end"] is None and entry.after["end"] == "2026-03-01"
    # The list shows it ended, with no button to close it again; a second close is refused.
    listed = organizer.get(reverse("documents:terms", args=["P"])).content.decode()
    assert 'data-testid="running"' not in listed and 'data-testid="close-term"' not in listed
    after = _written()
    again = organizer.post(url, {"end": "2026-04-01", "confirmed": "yes"})
    assert again.status_code == 422 and "is closed" in again.content.decode()
    assert _written() == after
