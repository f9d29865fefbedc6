"""The ways a search by words reads the register (`selectors.search_documents`): from the
rarest word's keys when it is under the cap, else a walk of the register latest first in
batches (the province's own register when the search is exactly a province's), handing the
rest to one planned query past the walk's limit. Whichever way, the pages (a `limit` and the
cursor `after`) hold exactly what the whole answer holds, in its order: the scope, the
filters, a masked document found by its symbol only. And a document's province (`area`, on
the document and its keys) follows its issuer when a unit moves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.services import role_grant
from cadrebook.documents import selectors
from cadrebook.documents.models import Document, DocumentWord
from cadrebook.documents.selectors import search_documents
from cadrebook.documents.services import term_create

D = dt.date
# The settings of each way: the cap above every count (the rarest word's keys), under every
# count with tiny batches (the walk, several batches a page), and a walk that stops at once.
WAYS = {
    "rare": {"WORD_CAP": 10**6},
    "walk": {"WORD_CAP": 0, "FIRST_BATCH": 1, "MIN_BATCH": 1, "MAX_BATCH": 2},
    "walk-limit": {"WORD_CAP": 0, "FIRST_BATCH": 1, "MIN_BATCH": 1, "WALK_LIMIT": 1},
}


def _user(name: str, role: str, unit: Any) -> Any:
    user = get_user_model().objects.create_user(username=name)
    role_grant(actor=None, user=user, role=role, unit=unit)
    return user


@pytest.fixture
def corpus(
    register: Callable[..., Any], terms: SimpleNamespace, tree: SimpleNamespace, actor: Any
) -> SimpleNamespace:
    """Documents of P, C1 and G1 (under C1) on several days, some on the same day, a secret
    one: "phát triển" in most, "kế hoạch" in some."""
    g1 = term_create(actor=actor, unit=tree.G1, start=D(2020, 7, 1), end=D(2025, 7, 31))
    day = D(2026, 1, 5)
    for i in range(6):
        register("plan", title=f"Kế hoạch phát triển đảng viên đợt {i}", date=day)
        register("report", title=f"Báo cáo phát triển kinh tế {i}", date=day - dt.timedelta(i))
    register("decision", title="Quyết định phát triển bí mật", confidentiality="secret", number=9)
    for i in range(4):
        register(
            "plan",
            issuer=tree.C1,
            term=terms.c1,
            date=D(2024, 3, 1 + i),
            title=f"Kế hoạch phát triển xã {i}",
        )
        register(
            "plan",
            issuer=tree.G1,
            term=g1,
            date=D(2024, 3, 1 + i),
            title=f"Kế hoạch phát triển chi bộ {i}",
        )
    return SimpleNamespace(
        organizer=_user("organizer", "organizer", tree.P),
        viewer=_user("viewer", "viewer", tree.P),
        commune=_user("commune", "organizer", tree.C1),
    )


def _pages(user: Any, size: int, **search: Any) -> list[int]:
    """Every document found, page by page as the API reads them (`size` + 1, then after the
    last shown)."""
    ids: list[int] = []
    after = None
    while True:
        rows = list(search_documents(user, after=after, limit=size + 1, **search)[: size + 1])
        ids += [d.pk for d in rows[:size]]
        if len(rows) <= size:
            return ids
        after = (rows[size - 1].date, rows[size - 1].pk)


def _walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time a search walks the register."""
    calls: list[int] = []
    walk = selectors._walk

    def counted(*args: Any, **kwargs: Any) -> list[int]:
        calls.append(1)
        return walk(*args, **kwargs)

    monkeypatch.setattr(selectors, "_walk", counted)
    return calls


def _ways(monkeypatch: pytest.MonkeyPatch, way: str) -> None:
    for name, value in WAYS[way].items():
        monkeypatch.setattr(selectors, name, value)


SEARCHES: list[tuple[str, dict[str, Any]]] = [
    ("organizer", {"q": "phat trien"}),
    ("organizer", {"q": "ke hoach phat"}),
    ("organizer", {"q": "phat", "type_code": "report"}),
    ("organizer", {"q": "phat", "date_from": D(2024, 3, 2), "date_to": D(2025, 1, 1)}),
    ("organizer", {"q": "phat", "unit": "C1"}),
    ("organizer", {"q": "phat", "unit": "G1"}),
    ("viewer", {"q": "phat trien"}),  # the secret one is masked: not found by its title
    ("viewer", {"q": "09-qđ"}),  # but by its symbol
    ("commune", {"q": "ke hoach"}),  # the commune's scope (C1 and G1)
    ("organizer", {"q": "khong co"}),
]


@pytest.mark.parametrize("way", list(WAYS))
@pytest.mark.parametrize(("who", "search"), SEARCHES)
def test_every_way_pages_exactly_the_whole_answer(
    monkeypatch: pytest.MonkeyPatch,
    corpus: SimpleNamespace,
    tree: SimpleNamespace,
    way: str,
    who: str,
    search: dict[str, Any],
) -> None:
    user = getattr(corpus, who)
    search = {k: getattr(tree, v) if k == "unit" else v for k, v in search.items()}
    # The whole answer: one query the database plans, as a search without a page is.
    monkeypatch.setattr(selectors, "WORD_CAP", 0)
    whole = [d.pk for d in search_documents(user, **search)]
    # Each way, by pages of 2 and of 5.
    _ways(monkeypatch, way)
    walks = _walks(monkeypatch)
    for size in (2, 5):
        assert _pages(user, size, **search) == whole, size
    # The way asked for is the way taken (a word nobody wrote stops at its count).
    assert bool(walks) == (way != "rare" and bool(whole))


def test_the_answers_are_what_the_words_say(
    monkeypatch: pytest.MonkeyPatch, corpus: SimpleNamespace, tree: SimpleNamespace
) -> None:
    """The ways agree with each other above; here, with what is expected."""
    for way in WAYS:
        _ways(monkeypatch, way)
        found = search_documents(corpus.organizer, q="ke hoach phat", limit=30)
        assert len(found) == 14, way  # 6 of P, 4 of C1, 4 of G1
        found = search_documents(corpus.viewer, q="phat", limit=30)
        assert "09-QĐ/TU" not in {d.symbol for d in found}, way
        assert len(found) == 20, way
        found = search_documents(corpus.viewer, q="09-qđ", limit=30)
        assert [d.symbol for d in found] == ["09-QĐ/TU"], way
        found = search_documents(corpus.organizer, q="phat", unit=tree.G1, limit=30)
        assert {d.issuer_id for d in found} == {tree.G1.pk}, way
        assert [d.date for d in found] == sorted((d.date for d in found), reverse=True)


def test_a_province_search_walks_its_own_register(
    monkeypatch: pytest.MonkeyPatch, corpus: SimpleNamespace, tree: SimpleNamespace
) -> None:
    """C1 stands at the provinces' depth in this tree: a search within it reads its area's
    keys and walks its area's register (`Document.area`), which holds G1's documents too."""
    areas, exact = selectors._areas(corpus.organizer, tree.C1)
    assert (areas, exact) == ([tree.C1.pk], True)
    assert selectors._areas(corpus.organizer, tree.G1) == ([tree.C1.pk], False)
    assert selectors._areas(corpus.organizer, None) == (None, False)  # P is above them
    assert selectors._areas(corpus.commune, None) == ([tree.C1.pk], True)
    assert set(Document.objects.filter(issuer=tree.G1).values_list("area", flat=True)) == {
        tree.C1.pk
    }
    _ways(monkeypatch, "walk")
    found = search_documents(corpus.organizer, q="ke hoach", unit=tree.C1, limit=30)
    assert {d.issuer_id for d in found} == {tree.C1.pk, tree.G1.pk}
    assert len(found) == 8


def test_a_moved_unit_takes_its_documents_to_its_new_province(
    monkeypatch: pytest.MonkeyPatch, corpus: SimpleNamespace, tree: SimpleNamespace
) -> None:
    from cadrebook.members.services import unit_move
    from cadrebook.orgs.services import unit_create

    # A unit added before C1 in code order shifts C1's and C2's paths: areas are ids, not
    # paths, and stay right.
    unit_create(actor=None, code="C0", name="Unit C0", kind="commune_committee", parent=tree.P)
    tree.C1.refresh_from_db()
    g1_docs = Document.objects.filter(issuer=tree.G1)
    unit_move(actor=None, unit=tree.G1, new_parent=tree.C2, date=dt.date.today())
    tree.C1.refresh_from_db()
    tree.C2.refresh_from_db()
    assert set(g1_docs.values_list("area", flat=True)) == {tree.C2.pk}
    keys = DocumentWord.objects.filter(document__in=g1_docs)
    assert keys.exists() and set(keys.values_list("area", flat=True)) == {tree.C2.pk}
    # C1's own documents keep theirs.
    assert set(Document.objects.filter(issuer=tree.C1).values_list("area", flat=True)) == {
        tree.C1.pk
    }
    for way in WAYS:
        _ways(monkeypatch, way)
        in_c2 = search_documents(corpus.organizer, q="chi bo", unit=tree.C2, limit=30)
        assert len(in_c2) == 4, way
        in_c1 = search_documents(corpus.organizer, q="chi bo", unit=tree.C1, limit=30)
        assert len(in_c1) == 0, way
        assert len(search_documents(corpus.organizer, q="ke hoach", unit=tree.C1, limit=30)) == 4


@pytest.fixture
def common_and_rare(
    corpus: SimpleNamespace,
    register: Callable[..., Any],
    terms: SimpleNamespace,
    tree: SimpleNamespace,
) -> None:
    """ "chung" in 48 documents of P, C1 and G1 (days repeated: ties broken by id); "hiem"
    in 5: with "chung" in P, C1 and G1 each and in a secret one of P, alone in one of P."""
    from cadrebook.documents.models import Term

    g1 = Term.objects.get(unit=tree.G1)
    for i in range(15):
        day = D(2024, 5, 1 + i % 7)
        register("report", title=f"Bao cao chung dot {i}", date=D(2026, 1, 1 + i % 5))
        register("plan", issuer=tree.C1, term=terms.c1, date=day, title=f"Ke hoach chung xa {i}")
        register("plan", issuer=tree.G1, term=g1, date=day, title=f"Chung chi bo {i}")
    register("report", title="Bao cao chung hiem", date=D(2026, 1, 3))
    register("plan", issuer=tree.C1, term=terms.c1, date=D(2024, 5, 2), title="Chung hiem xa")
    register("plan", issuer=tree.G1, term=g1, date=D(2024, 5, 2), title="Hiem chung chi bo")
    register("notice", title="Thong bao hiem", date=D(2026, 1, 2))
    register(
        "decision",
        title="Quyet dinh chung hiem",
        confidentiality="secret",
        number=19,
        date=D(2025, 12, 1),
    )


def _plain(user: Any, unit: Any, words: list[str]) -> list[int]:
    """The plain filter: the documents `user` may read (in `unit`'s subtree) whose title
    has a word starting with each of `words` (the titles here are plain ASCII), latest
    first."""
    documents = selectors.readable_documents(user)
    if unit is not None:
        documents = documents.filter(issuer__path__startswith=unit.path)
    rows = [
        (d.date, d.pk)
        for d in documents
        if all(any(t.startswith(w) for t in d.title.lower().split()) for w in words)
    ]
    return [pk for _day, pk in sorted(rows, reverse=True)]


@pytest.mark.parametrize("way", ["rare", "walk"])
@pytest.mark.parametrize("unit", [None, "C1"])
@pytest.mark.parametrize("who", ["organizer", "viewer"])
def test_the_rarest_word_is_checked_first_and_the_pages_are_the_plain_filter(
    monkeypatch: pytest.MonkeyPatch,
    common_and_rare: None,
    corpus: SimpleNamespace,
    tree: SimpleNamespace,
    way: str,
    unit: str | None,
    who: str,
) -> None:
    """A common word ("chung", written first) and a rare one ("hiem"): the rare one is
    checked first — its own documents are the ones the common word is checked on ("rare":
    its count is under the cap), or a batch's documents are checked for it before the
    common word ("walk": both above the cap) — and every page, unscoped and within a
    province (C1 here), is what the plain filter gives, in its order."""
    user = getattr(corpus, who)
    scope = getattr(tree, unit) if unit else None
    if way == "rare":
        monkeypatch.setattr(selectors, "WORD_CAP", 10)  # "hiem": 5 keys, "chung": 48
    else:
        _ways(monkeypatch, "walk")
    checked: list[list[str]] = []
    holding = selectors._holding

    def recorded(words: list[str]) -> Any:
        checked.append(list(words))
        return holding(words)

    monkeypatch.setattr(selectors, "_holding", recorded)
    expected = _plain(user, scope, ["chung", "hiem"])
    # The secret one only where its reader may read it; the one without "chung", never.
    titles = set(Document.objects.filter(pk__in=expected).values_list("title", flat=True))
    assert titles == {"Chung hiem xa", "Hiem chung chi bo"} | (
        set()
        if unit
        else {"Bao cao chung hiem"} | ({"Quyet dinh chung hiem"} if who == "organizer" else set())
    )
    for size in (1, 2, 5):
        assert _pages(user, size, q="chung hiem", unit=scope) == expected, size
    # "rare": the common word checked on the rare one's documents; "walk": after the first
    # batch (which reads its documents' keys and finds "hiem" the rarer), "hiem" first.
    assert checked and all(
        words == (["chung"] if way == "rare" else ["hiem", "chung"]) for words in checked
    )
    # And the whole answer, without a page, is the same.
    whole = search_documents(user, q="chung hiem", unit=scope)
    assert [d.pk for d in whole] == expected


@pytest.mark.parametrize("way", ["rare", "walk"])
def test_a_search_asks_one_query_for_the_counts_and_one_a_batch(
    monkeypatch: pytest.MonkeyPatch, corpus: SimpleNamespace, way: str
) -> None:
    """The round trips of a search of three words, a page in one batch: the user's grants,
    the words' counts (one query for them all), then the rare word's documents in scope
    ("rare") and the batch, its words and whether each is in scope and readable (one
    query), or the walk's batch read and checked in one query ("walk"); and the page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _ways(monkeypatch, way)
    monkeypatch.setattr(selectors, "MAX_BATCH", 1000)
    monkeypatch.setattr(selectors, "MIN_BATCH", 200)
    monkeypatch.setattr(selectors, "FIRST_BATCH", 4)
    search_documents(corpus.organizer, q="ke hoach phat", limit=30)  # grants cached
    with CaptureQueriesContext(connection) as ctx:
        found = list(search_documents(corpus.organizer, q="ke hoach phat", limit=30)[:30])
    assert len(found) == 14
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum("COUNT(" in s for s in sql) == 1, sql
    assert len(sql) == (4 if way == "rare" else 3), sql
