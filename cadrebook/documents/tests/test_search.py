"""Search by words: every word starts a word of the symbol, title, abstract or attached PDF's
text, accents and case aside; symbols by their number, whole, or their code; Khmer kept as
written; a masked document found by its symbol only; the issuer's subtree and the user's
scope hold."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.services import role_grant
from cadrebook.documents.choices import FileKind
from cadrebook.documents.models import DocumentWord
from cadrebook.documents.selectors import search_documents
from cadrebook.documents.services import document_attach
from cadrebook.documents.words import fold, query_words, token_keys

D = dt.date
KHMER_TITLE = "សេចក្តីសម្រេចស្តីពីការអភិវឌ្ឍន៍សមាជិកបក្ស"  # decision on developing party members


def _user(name: str, role: str, unit: Any) -> Any:
    user = get_user_model().objects.create_user(username=name)
    role_grant(actor=None, user=user, role=role, unit=unit)
    return user


@pytest.fixture
def users(tree: SimpleNamespace) -> SimpleNamespace:
    return SimpleNamespace(
        organizer=_user("organizer", "organizer", tree.P),
        viewer=_user("viewer", "viewer", tree.P),
        other=_user("other", "organizer", tree.C2),
    )


@pytest.fixture
def docs(register: Any, terms: SimpleNamespace, tree: SimpleNamespace) -> SimpleNamespace:
    return SimpleNamespace(
        members=register(
            "resolution",
            number=28,
            title="Nghị quyết về công tác phát triển đảng viên",
            abstract="Kết nạp đảng viên mới trong thanh niên",
        ),
        plan=register("plan", number=167, title="Kế hoạch tổ chức Đại hội Đảng bộ"),
        secret=register(
            "decision", title="Quyết định kỷ luật cán bộ", confidentiality="secret", number=5
        ),
        khmer=register("notice", number=3, title=KHMER_TITLE, language="km"),
        commune=register(
            "plan",
            issuer=tree.C1,
            term=terms.c1,
            date=D(2024, 3, 1),
            title="Kế hoạch phát triển đảng viên của xã",
        ),
    )


def _found(user: Any, q: str, **filters: Any) -> set[str]:
    return {d.symbol for d in search_documents(user, q=q, **filters)}


def test_words_are_prefixes_matched_without_accents_or_case(
    users: SimpleNamespace, docs: SimpleNamespace
) -> None:
    user = users.organizer
    both = {"28-NQ/TU", "01-KH/ĐU"}
    assert _found(user, "phát triển đảng viên") == both
    assert _found(user, "phat trien dang vien") == both
    assert _found(user, "PHAT TRI") == both
    assert _found(user, "vien dang phat") == both  # in any order
    assert _found(user, "ket nap thanh") == {"28-NQ/TU"}  # the abstract
    assert _found(user, "dai hoi") == {"167-KH/TU"}
    # Every word must start a word: "ien" is inside "triển" but starts no word.
    assert _found(user, "ien") == set()
    assert _found(user, "phat trien kinh") == set()


def test_a_symbol_is_found_by_its_number_whole_or_code(
    users: SimpleNamespace, docs: SimpleNamespace
) -> None:
    user = users.organizer
    for q in ("28-nq", "28-NQ/TU", "nq/tu", "28", "28-NQ/TU,"):
        assert _found(user, q) == {"28-NQ/TU"}, q
    assert _found(user, "kh/tu") == {"167-KH/TU"}
    assert _found(user, "kh/đu") == {"01-KH/ĐU"}
    assert _found(user, "kh/") == {"167-KH/TU", "01-KH/ĐU"}


def test_khmer_is_kept_and_found_by_a_word_inside_a_run(
    users: SimpleNamespace, docs: SimpleNamespace
) -> None:
    # Folding leaves Khmer as written (its subscripts and vowel signs included).
    assert fold("ក្រុង") == "ក្រុង" and fold("ក្រុង") != fold("ក្រង")
    user = users.organizer
    assert _found(user, "សមាជិកបក្ស") == {"03-TB/TU"}  # a word inside the run
    assert _found(user, "ការអភិវឌ្ឍន៍ សមាជិក") == {"03-TB/TU"}
    assert _found(user, KHMER_TITLE) == {"03-TB/TU"}
    assert _found(user, "ក្រុង") == set()
    # No key starts at a subscript consonant (after the COENG sign).
    assert not [k for k in token_keys(fold("ក្រុង")) if k.startswith("រ")]


def test_a_masked_document_is_found_by_its_symbol_only(
    users: SimpleNamespace, docs: SimpleNamespace
) -> None:
    assert _found(users.organizer, "ky luat") == {"05-QĐ/TU"}
    assert _found(users.viewer, "ky luat") == set()
    assert _found(users.viewer, "05-qđ") == {"05-QĐ/TU"}
    assert _found(users.viewer, "05-qđ ky") == set()  # one word from the title is enough
    assert _found(users.organizer, "05-qđ ky") == {"05-QĐ/TU"}


def test_the_subtree_and_the_scope_hold(
    users: SimpleNamespace, docs: SimpleNamespace, tree: SimpleNamespace
) -> None:
    assert _found(users.organizer, "phat trien", unit=tree.C1) == {"01-KH/ĐU"}
    assert _found(users.organizer, "ke hoach", type_code="plan") == {"167-KH/TU", "01-KH/ĐU"}
    assert _found(users.organizer, "ke hoach", date_to=D(2025, 1, 1)) == {"01-KH/ĐU"}
    assert _found(users.other, "phat trien") == set()
    # Latest first.
    found = [d.symbol for d in search_documents(users.organizer, q="dang")]
    assert found[-1] == "01-KH/ĐU"


def test_queries_are_read_as_keys_are_written() -> None:
    assert query_words("  Nghị  quyết, 28-NQ/TU!  nghị ") == ["nghi", "quyet", "28-nq/tu"]
    assert token_keys("28-nq/tu") == ("28-nq/tu", "nq/tu", "tu")
    assert query_words("- / ,") == []


def _pdf(text: str) -> bytes:
    stream = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode()
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )


def test_the_text_of_an_attached_pdf_is_searched(
    users: SimpleNamespace, docs: SimpleNamespace, actor: Any
) -> None:
    assert _found(users.organizer, "thanh lap chi bo") == set()
    document_attach(
        actor=actor,
        document=docs.plan,
        source=io.BytesIO(_pdf("Thanh lap chi bo Hoa Binh")),
        original_name="167.pdf",
        content_type="application/pdf",
        kind=FileKind.SIGNED,
    )
    assert _found(users.organizer, "thanh lap chi bo") == {"167-KH/TU"}
    assert _found(users.organizer, "dai hoi hoa binh") == {"167-KH/TU"}
    # The title's keys stay, once each.
    words = list(DocumentWord.objects.filter(document=docs.plan).values_list("word", flat=True))
    assert len(words) == len(set(words)) and "dai" in words
