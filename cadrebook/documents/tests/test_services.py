"""The register's services: numbering per (issuer, counter, term) from the rule set, the
symbol, the refusals of bad input (nothing written), status history, links, files."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.core.rules import available_rulesets, current_ruleset, load_ruleset
from cadrebook.documents import storage
from cadrebook.documents.models import Document, DocumentFile, DocumentStatusChange
from cadrebook.documents.numbering import printed_symbol
from cadrebook.documents.selectors import number_gaps, suggest_number_for
from cadrebook.documents.services import (
    document_attach,
    document_link,
    document_register,
    document_set_status,
    term_close,
    term_create,
)

D = dt.date
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_numbers_run_per_counter_and_term_and_the_symbol_is_the_rule_sets(
    register: Any, terms: SimpleNamespace
) -> None:
    assert register("resolution").symbol == "01-NQ/TU"
    assert register("resolution").symbol == "02-NQ/TU"
    assert register("plan").symbol == "01-KH/TU"
    # Decisions and regulations share the "QĐ" counter; a secret decision shares it too.
    assert register("decision").symbol == "01-QĐ/TU"
    assert register("regulation").symbol == "02-QĐ/TU"
    assert register("decision", confidentiality="secret").symbol == "03-QĐ/TU"
    # Another term starts again from 1 (399-QĐ/TW then 01-QĐ/TW).
    old = register("decision", number=399, term=terms.old, date=D(2025, 1, 10))
    assert old.symbol == "399-QĐ/TU"
    assert register("decision").number == 4
    assert printed_symbol("12-QĐ/ĐU") == "Số 12-QĐ/ĐU"
    assert suggest_number_for(terms.new.unit, "regulation", terms.new) == (5, "05-QĐ/TU")


def test_a_congress_numbers_all_its_documents_in_one_counter(
    tree: SimpleNamespace, actor: Any
) -> None:
    congress = term_create(
        actor=actor,
        unit=tree.P,
        start=D(2025, 10, 13),
        end=D(2025, 10, 15),
        label="Đại hội XV",
        congress=True,
    )
    kinds = ["resolution", "minutes", "report"]
    documents = [
        document_register(
            actor=actor, issuer=tree.P, type=t, term=congress, date=D(2025, 10, 15), title=t
        )
        for t in kinds
    ]
    assert [d.symbol for d in documents] == ["01-NQ/TU", "02-BB/TU", "03-BC/TU"]


def test_the_symbol_follows_another_rule_set(alt_tree: SimpleNamespace, actor: Any) -> None:
    term = term_create(actor=actor, unit=alt_tree.N, start=D(2024, 1, 1))
    one = document_register(
        actor=actor, issuer=alt_tree.N, type="decision", term=term, date=D(2024, 2, 1), title="a"
    )
    two = document_register(
        actor=actor, issuer=alt_tree.N, type="plan", term=term, date=D(2024, 2, 1), title="b"
    )
    secret = document_register(
        actor=actor,
        issuer=alt_tree.N,
        type="plan",
        term=term,
        date=D(2024, 2, 1),
        title="c",
        confidentiality="secret",
    )
    assert [one.symbol, two.symbol, secret.symbol] == ["D 1/NAT", "P 2/NAT", "P 1/NAT"]
    assert printed_symbol(one.symbol) == "No. D 1/NAT"


def test_a_legacy_symbol_is_kept_verbatim(register: Any, terms: SimpleNamespace) -> None:
    doc = register("regulation", number=12, term=terms.old, date=D(2021, 3, 1), symbol="12-QĐi/HU")
    assert (doc.symbol, doc.symbol_legacy) == ("12-QĐi/HU", True)
    same = register("plan", number=3, term=terms.old, date=D(2021, 3, 1), symbol="03-KH/TU")
    assert same.symbol_legacy is False


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"type": "poem"}, "document.type_unknown", "type"),
        ({"number": 1}, "document.number_taken", "number"),
        ({"date": D(2025, 10, 15)}, "document.date_outside_term", "date"),
        # The running term runs to today: a document is not registered ahead of its date.
        ({"date": dt.date.today() + dt.timedelta(days=1)}, "document.date_outside_term", "date"),
        ({"confidentiality": "top"}, "document.confidentiality_unknown", "confidentiality"),
        ({"title": "  "}, "document.title_missing", "title"),
        ({"number": 0}, "document.number_invalid", "number"),
    ],
)
def test_bad_input_is_refused_with_the_rule_and_nothing_written(
    register: Any, fields: dict[str, Any], code: str, field: str
) -> None:
    register("resolution")
    before = (Document.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ServiceError) as refused:
        register(**{"type": "resolution", **fields})
    assert (refused.value.code, refused.value.field) == (code, field)
    if isinstance(refused.value, RuleViolation):
        assert refused.value.source.startswith("36-HD/VPTW")
    assert (Document.objects.count(), AuditEntry.objects.count()) == before


def test_a_term_of_another_unit_is_refused(register: Any, terms: SimpleNamespace) -> None:
    with pytest.raises(ServiceError) as refused:
        register("plan", term=terms.c1, date=D(2021, 1, 1))
    assert refused.value.code == "document.term_of_another_unit"


def test_gaps_are_reported_per_counter(register: Any, terms: SimpleNamespace) -> None:
    for n in (1, 2, 4):
        register("resolution", number=n)
    register("decision", number=3)
    register("regulation", number=1)
    assert number_gaps(terms.new.unit, terms.new) == {"QĐ": [2], "resolution": [3]}


def test_terms_refuse_overlaps_and_close_only_after_their_documents(
    tree: SimpleNamespace, terms: SimpleNamespace, register: Any, actor: Any
) -> None:
    assert (terms.old.label, terms.new.label, terms.new.issuer_symbol) == (
        "2020-2025",
        "2025-2030",
        "TU",
    )
    assert terms.c1.issuer_symbol == "ĐU"
    with pytest.raises(ServiceError) as refused:
        term_create(actor=actor, unit=tree.P, start=D(2027, 1, 1), label="x")
    assert refused.value.code == "term.overlaps"
    register("plan", date=D(2026, 5, 1))
    with pytest.raises(ServiceError) as refused:
        term_close(actor=actor, term=terms.new, end=D(2026, 4, 30))
    assert refused.value.code == "document.date_outside_term"
    closed = term_close(actor=actor, term=terms.new, end=D(2030, 10, 1))
    assert closed.end == D(2030, 10, 1)
    with pytest.raises(ServiceError):
        term_close(actor=actor, term=terms.new, end=D(2030, 10, 2))


def test_status_changes_are_history(register: Any, actor: Any) -> None:
    doc = register("plan", status="draft")
    document_set_status(actor=actor, document=doc, status="issued", date=D(2026, 1, 6))
    with pytest.raises(ServiceError) as refused:
        document_set_status(actor=actor, document=doc, status="draft", date=D(2026, 1, 7))
    assert refused.value.code == "document.back_to_draft"
    history = list(doc.statuses.values_list("status_from", "status_to"))
    assert history == [("", "draft"), ("draft", "issued")]
    with pytest.raises(ValueError, match="append-only"):
        doc.statuses.first().delete()


def test_the_history_is_append_only_in_the_database(register: Any) -> None:
    register("plan")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE documents_documentstatuschange SET status_to = 'revoked'")
    assert set(DocumentStatusChange.objects.values_list("status_to", flat=True)) == {"issued"}


def test_replacing_and_revoking_update_the_older_document(register: Any, actor: Any) -> None:
    old = register("regulation", date=D(2026, 1, 5))
    amending = register("decision", date=D(2026, 2, 1))
    new = register("regulation", date=D(2026, 3, 1))
    document_link(actor=actor, source=amending, target=old, kind="amends")
    old.refresh_from_db()
    assert old.status == "amended"
    document_link(actor=actor, source=new, target=old, kind="replaces")
    old.refresh_from_db()
    assert old.status == "replaced"
    last = old.statuses.order_by("id").last()
    assert (last.status_from, last.status_to, last.by_document, last.date) == (
        "amended",
        "replaced",
        new,
        D(2026, 3, 1),
    )
    # Amending a replaced document does not bring it back to "amended".
    later = register("decision", date=D(2026, 4, 1))
    document_link(actor=actor, source=later, target=old, kind="amends")
    old.refresh_from_db()
    assert old.status == "replaced"
    guide = register("guideline", date=D(2026, 4, 2))
    document_link(actor=actor, source=guide, target=new, kind="guides")
    new.refresh_from_db()
    assert new.status == "issued"


def test_a_cycle_of_replacements_is_refused(register: Any, actor: Any) -> None:
    a, b, c = register("plan"), register("plan"), register("plan")
    document_link(actor=actor, source=b, target=a, kind="replaces")
    document_link(actor=actor, source=c, target=b, kind="replaces")
    with pytest.raises(RuleViolation) as refused:
        document_link(actor=actor, source=a, target=c, kind="replaces")
    assert refused.value.code == "document.replacement_cycle"
    a.refresh_from_db()
    assert a.status == "replaced"  # untouched by the refused link
    with pytest.raises(ServiceError) as refused:
        document_link(actor=actor, source=a, target=a, kind="guides")
    assert refused.value.code == "document.link_to_itself"
    with pytest.raises(ServiceError) as refused:
        document_link(actor=actor, source=b, target=a, kind="replaces")
    assert refused.value.code == "document.link_exists"


def test_a_pdf_is_kept_with_its_checksum_and_anything_else_refused(
    register: Any, actor: Any, settings: Any
) -> None:
    doc = register("plan")
    kept = document_attach(
        actor=actor,
        document=doc,
        source=io.BytesIO(PDF),
        original_name="kh.pdf",
        content_type="application/pdf",
        kind="signed",
    )
    assert kept.size == len(PDF) and len(kept.sha256) == 64
    assert storage.path_of(kept.sha256).read_bytes() == PDF
    assert str(settings.DOCUMENT_DIR) in str(storage.path_of(kept.sha256))
    refusals = [
        ({"source": io.BytesIO(b"MZ\x90\x00 not a pdf")}, "document.file_type"),
        ({"content_type": "text/html"}, "document.file_type"),
        ({"source": io.BytesIO(b"")}, "document.file_type"),
        ({"source": io.BytesIO(PDF), "kind": "signed"}, "document.signed_file_exists"),
    ]
    for change, code in refusals:
        args: dict[str, Any] = {
            "source": io.BytesIO(PDF),
            "original_name": "x.pdf",
            "content_type": "application/pdf",
            "kind": "attachment",
            **change,
        }
        with pytest.raises(ServiceError) as refused:
            document_attach(actor=actor, document=doc, **args)
        assert refused.value.code == code
        if code == "document.file_type":
            # The file limits are the deployment's, not the numbering regulation's.
            assert isinstance(refused.value, RuleViolation)
            assert refused.value.source == current_ruleset().value("documents.files_source")
            assert refused.value.source != current_ruleset().source("documents")
    assert DocumentFile.objects.count() == 1
    # A PDF uploaded under another name downloads as a PDF, not as what the name said.
    renamed = document_attach(
        actor=actor,
        document=doc,
        source=io.BytesIO(PDF),
        original_name="x.exe",
        content_type="application/pdf",
        kind="attachment",
    )
    assert renamed.original_name == "x.exe.pdf"


def test_a_file_over_the_rule_sets_limit_is_refused(alt_tree: SimpleNamespace, actor: Any) -> None:
    term = term_create(actor=actor, unit=alt_tree.N, start=D(2024, 1, 1))
    doc = document_register(
        actor=actor, issuer=alt_tree.N, type="decision", term=term, date=D(2024, 2, 1), title="a"
    )
    big = io.BytesIO(PDF + b"0" * (1024 * 1024))  # test-alt allows 1 MB
    with pytest.raises(RuleViolation) as refused:
        document_attach(
            actor=actor,
            document=doc,
            source=big,
            original_name="big.pdf",
            content_type="application/pdf",
        )
    assert refused.value.code == "file.too_large"
    assert refused.value.source == "test deployment setting 16b"  # files_source, not source
    assert not DocumentFile.objects.exists()
    assert not [p for p in storage.root().rglob("*") if p.is_file()]


@pytest.mark.parametrize("ruleset_id", available_rulesets())
def test_every_rule_set_names_its_file_limits_own_source(ruleset_id: str) -> None:
    """The file limits are the deployment's choice: a rule set with a register gives them a
    source of their own, which the refusal of a file cites instead of the regulation's."""
    section = load_ruleset(ruleset_id).data.get("documents")
    if section is None:
        pytest.skip("no register in this rule set")
    assert str(section.get("files_source", "")).strip()
    assert section["files_source"] != section["source"]
