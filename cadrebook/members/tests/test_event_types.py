"""The registry of event types: every event type has an entry, and the tables of the browser,
the API, the import, the services and the statistics are the registry's, so a new entry
shows up in each of them (and an entry whose parts are missing fails here)."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path

import pytest

from cadrebook.core.rules import current_ruleset
from cadrebook.core.tests.test_layers import imported_modules
from cadrebook.imports.importers import events as events_importer
from cadrebook.members import actions, api, event_types, services
from cadrebook.members.choices import EventType
from cadrebook.members.event_types import (
    API_TYPES,
    BROWSER_ACTIONS,
    BY_CODE,
    DECISION_FIELDS,
    DERIVED_SERVICES,
    FOLD_FIELDS,
    MOVEMENTS,
    REGISTRY,
    EventKind,
)
from cadrebook.members.lifecycle import EventData
from cadrebook.members.models import MemberEvent
from cadrebook.members.services import events as event_services
from cadrebook.reports import deltas, figures
from cadrebook.reports.aggregates import build as aggregates_build


def test_every_event_type_has_one_entry():
    assert [str(k.code) for k in REGISTRY if k.code not in BY_CODE] == []
    assert sorted(BY_CODE) == sorted(EventType.values)
    assert len(REGISTRY) == len(EventType.values)


def test_the_names_of_an_event_are_unique_in_each_place():
    for names in (
        [k.api_type for k in REGISTRY if k.api_type],
        [k.action for k in REGISTRY if k.action],
        [k.service for k in REGISTRY],
    ):
        assert len(names) == len(set(names))


def test_every_entry_names_a_service_of_the_members_services():
    for kind in REGISTRY:
        assert callable(getattr(services, kind.service)), kind.service


def test_the_api_literal_and_its_actions_are_the_registry():
    assert api.EVENT_ACTIONS == {
        k.api_type: k.action for k in REGISTRY if k.api_type is not None and k.action
    }
    assert list(typing.get_args(api.EventTypeIn)) == list(API_TYPES)
    # The API records every entry that has an API spelling, through the browser's action.
    assert all(k.action for k in API_TYPES.values())
    # The public contract: the spellings the API has always had, in this order.
    assert list(API_TYPES) == [
        "admission_proposed",
        "admitted",
        "recognized",
        "not_recognized",
        "decision_extended",
        "transferred",
        "transfer_accepted",
        "transfer_returned",
        "temporary_transfer",
        "temporary_transfer_ended",
        "exempted",
        "exemption_ended",
        "removed",
        "expelled",
        "deceased",
        "readmitted",
    ]


def test_the_browser_actions_are_the_registry_and_the_card():
    recorded = {name: a for name, a in actions.ACTIONS.items() if a.event}
    assert list(recorded) == list(BROWSER_ACTIONS)
    assert set(actions.ACTIONS) - set(recorded) == {"card"}
    for name, action in recorded.items():
        kind = BROWSER_ACTIONS[name]
        assert action.event == kind.code
        assert action.service is getattr(services, kind.service)
        assert action.destructive == kind.destructive
        assert action.receiving == kind.receiving
        on_form = set(kind.service_fields) - actions.NOT_ON_FORM
        assert set(action.fields) == {"date", *on_form, *actions.FACES[name].form_only}
    assert set(actions.FACES) == set(BROWSER_ACTIONS)


def test_the_import_takes_the_registrys_importable_types():
    assert events_importer.IMPORTABLE == {
        *(str(k.code) for k in REGISTRY if k.importable),
        events_importer.TRANSFERRED,
    }
    assert EventType.CORRECTION not in events_importer.IMPORTABLE


def test_every_derived_service_is_named_by_the_services_package():
    """`services/events.py` names each registry service for typed call sites; the names and
    the registry agree, and the package re-exports them."""
    for name in DERIVED_SERVICES:
        fn = getattr(event_services, name)
        assert fn is event_services.SERVICES[name]
        assert getattr(services, name) is fn
        assert fn.__name__ == name
        assert fn.__module__ == event_services.__name__
    named = {
        name
        for name, fn in inspect.getmembers(event_services, inspect.isfunction)
        if fn.__module__ == event_services.__name__ and not name.startswith("_")
    }
    assert named == {*DERIVED_SERVICES, "member_transfer"}
    source = inspect.getsource(event_services)
    unnamed = [n for n in DERIVED_SERVICES if f'{n} = SERVICES["{n}"]' not in source]
    assert not unnamed, f"name these services in {event_services.__name__}: {unnamed}"


def test_a_derived_service_refuses_an_argument_its_entry_does_not_list():
    with pytest.raises(TypeError, match="destination"):
        services.member_admit(actor=None, member=None, date=None, destination="abroad")


def test_a_new_entry_shows_up_in_every_derived_table(monkeypatch: pytest.MonkeyPatch):
    """The tables derived again from the registry with one entry more."""
    extra = EventKind(
        EventType.EXEMPTED,
        "member_suspend",
        ("reason",),
        api="suspended",
        action="suspend",
        destructive=True,
        movement=event_types.CLOSES,
    )
    registry = (*REGISTRY, extra)
    types = event_types.api_types(registry)
    assert list(types)[-1] == "suspended"
    assert api.event_actions(types)["suspended"] == "suspend"
    assert list(event_types.browser_actions(registry))[-1] == "suspend"
    assert event_types.derived_services(registry)["member_suspend"] is extra
    assert str(extra.code) in event_types.codes(event_types.CLOSES, registry)
    # The browser offers it to active members under its event type's label until it has a
    # face of its own (`FACES`).
    monkeypatch.setattr(services, "member_suspend", event_services._service(extra), raising=False)
    table = actions.action_table(event_types.browser_actions(registry).values())
    assert table["suspend"].label == EventType.EXEMPTED.label
    assert table["suspend"].destructive and table["suspend"].fields[:2] == ("date", "reason")
    made = event_services._service(extra)
    assert made.__name__ == "member_suspend"
    with pytest.raises(TypeError, match="document"):
        made(actor=None, member=None, date=None, document="1-QD")


def test_the_decision_fields_are_one_list_for_the_fold_the_model_and_the_service():
    names = [f.name for f in dataclasses.fields(EventData)]
    # The fold's fields first, in order (the import reads them positionally).
    assert tuple(names[: len(FOLD_FIELDS)]) == FOLD_FIELDS
    assert set(DECISION_FIELDS) <= set(names)
    columns = {f.name for f in MemberEvent._meta.get_fields()}
    assert set(DECISION_FIELDS) <= columns
    assert {f.removesuffix("_id") for f in FOLD_FIELDS} <= columns
    parameters = inspect.signature(services.member_record_event).parameters
    assert set(DECISION_FIELDS) <= set(parameters)
    assert events_importer.IMPORTED_EVENT_COLUMNS[-len(events_importer.DECISION_EXTRA) :] == (
        events_importer.DECISION_EXTRA
    )


def test_every_movement_counts_in_a_figure_of_the_statistics():
    for kind in REGISTRY:
        assert kind.movement in (None, *MOVEMENTS)
        if kind.movement:
            assert kind.figure in figures.MOVEMENTS, kind
    assert aggregates_build.CLOSING == frozenset(
        {"not_recognized", "removed", "expelled", "deceased", "transferred_out"}
    )
    assert set(deltas.ENDINGS) == {"removed", "expelled", "deceased", "not_recognized"}
    assert set(event_types.OPENING) == {"admitted", "readmitted", "exempted"}


def test_the_rule_set_is_asked_by_the_registrys_keys(db):
    rules = current_ruleset()
    for key in (event_types.DOCUMENT_RULE, event_types.REASON_RULE, event_types.VOTE_RULE):
        listed = set(rules.value(key))
        assert listed <= set(BY_CODE), key
        for kind in REGISTRY:
            assert kind.needs(key, rules) == (str(kind.code) in listed)
    for code in rules.value(event_types.VOTE_RULE):
        assert BY_CODE[code].vote_share is not None


def test_the_registry_sits_low_in_the_app():
    """Every layer may read the registry: it imports nothing of Cadrebook but the choices."""
    path = Path(event_types.__file__)
    ours = {m for m in imported_modules(path) if m.startswith("cadrebook")}
    assert {m for m in ours if not m.startswith("cadrebook.members.choices")} == set()
