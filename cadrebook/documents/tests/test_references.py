"""A record cites a document by the symbol printed on it: one symbol is read out of free
text (padding, "Số", spaces and accents aside), and it names a registered document only
among the issued ones of the record's unit and the units above it, dated on or before the
record, and, where the symbol comes back each term, of the term covering the record's day."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.documents.models import Document
from cadrebook.documents.references import match_symbol, symbol_forms, symbol_key

D = dt.date


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("28-NQ/TU", "28-nq/tu"),
        ("Số 01-QĐ/TU", "1-qd/tu"),
        ("Quyết định số 12 - QĐ / ĐU ngày 5/3", "12-qd/du"),
        ("167-KH/TU-BTC", "167-kh/tu-btc"),
        ("12-QĐi/HU", "12-qdi/hu"),
        ("28-NQ/TU và 28-NQ/TU", "28-nq/tu"),  # the same symbol twice is one
    ],
)
def test_one_symbol_is_read_out_of_the_text(text: str, key: str) -> None:
    assert symbol_key(text) == key


@pytest.mark.parametrize(
    "text", ["", "Nghị quyết của chi bộ", "28-NQ/TU và 29-NQ/TU", "NQ 28", "2024-05-01"]
)
def test_text_naming_no_symbol_or_two_names_none(text: str) -> None:
    assert symbol_key(text) is None


def test_a_key_is_looked_for_in_every_padding_the_rule_set_may_print() -> None:
    assert "01-qd/tu" in symbol_forms("1-qd/tu")
    assert "1-qd/tu" in symbol_forms("1-qd/tu")
    assert symbol_forms("167-kh/tu") == ["0167-kh/tu", "167-kh/tu"]


@pytest.fixture
def decisions(register: Any, terms: SimpleNamespace, tree: SimpleNamespace) -> SimpleNamespace:
    """01-QĐ/TU twice (P's term 2020-2025 and 2025-2030), a draft plan of P, and C1's
    01-QĐ/ĐU."""
    old = register("decision", number=1, term=terms.old, date=D(2024, 3, 1))
    new = register("decision", number=1, date=D(2026, 1, 5))
    draft = register("plan", number=1, date=D(2026, 1, 6), status="draft")
    commune = register("decision", number=1, issuer=tree.C1, term=terms.c1, date=D(2021, 1, 1))
    assert old.symbol == new.symbol == "01-QĐ/TU"
    return SimpleNamespace(old=old, new=new, draft=draft, commune=commune)


def _paths(unit: Any) -> list[str]:
    return unit.ancestor_paths()


def test_the_term_covering_the_day_decides_between_repeated_symbols(
    decisions: SimpleNamespace, tree: SimpleNamespace
) -> None:
    docs = Document.objects.all()
    assert match_symbol(docs, "1-QĐ/TU", _paths(tree.K1), D(2024, 5, 1)) == decisions.old
    assert match_symbol(docs, "Số 01-QĐ/TU", _paths(tree.K1), D(2026, 2, 1)) == decisions.new
    # Before the decision of the new term, only the old one was issued.
    assert match_symbol(docs, "01-QĐ/TU", _paths(tree.K1), D(2025, 11, 1)) == decisions.old


def test_only_issued_documents_of_the_unit_or_above_dated_before_are_matched(
    decisions: SimpleNamespace, tree: SimpleNamespace
) -> None:
    docs = Document.objects.all()
    # C1's decision is above K1, not above GC (another commune).
    assert match_symbol(docs, "01-QĐ/ĐU", _paths(tree.K1), D(2022, 1, 1)) == decisions.commune
    assert match_symbol(docs, "01-QĐ/ĐU", _paths(tree.GC), D(2022, 1, 1)) is None
    # Not yet issued on the record's day.
    assert match_symbol(docs, "01-QĐ/ĐU", _paths(tree.K1), D(2020, 12, 31)) is None
    # A draft was never issued.
    assert match_symbol(docs, "01-KH/TU", _paths(tree.K1), D(2026, 2, 1)) is None
    # A symbol nobody registered.
    assert match_symbol(docs, "99-QĐ/TU", _paths(tree.K1), D(2026, 2, 1)) is None
