"""Reads of the register: which documents a user may see and read, the check a document
passes before it is written (asked by the service and the import alike), the next number of
a counter and the numbers missing from it, the search, and the counts by type the statistics
show. Selectors never write."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connections
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError
from cadrebook.core.normalize import normalize_name, search_text
from cadrebook.core.permissions import VIEW
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import PATH_END, scope_for, subtree_q
from cadrebook.documents.choices import Confidentiality, LinkKind, Status
from cadrebook.documents.models import AREA_DEPTH, Document, DocumentLink, DocumentWord, Term
from cadrebook.documents.numbering import (
    DocumentType,
    counter_of,
    document_type,
    render_symbol,
    violation,
)
from cadrebook.documents.permissions import (
    ISSUE_DOCUMENTS,
    VIEW_RESTRICTED_DOCUMENTS,
    VIEW_SECRET_DOCUMENTS,
)
from cadrebook.documents.word_keys import area_path
from cadrebook.documents.words import TOP, query_words
from cadrebook.orgs.models import OrgUnit

# The grant that reads a document of each level of confidentiality.
LEVEL_ACTIONS = {
    Confidentiality.RESTRICTED: VIEW_RESTRICTED_DOCUMENTS,
    Confidentiality.SECRET: VIEW_SECRET_DOCUMENTS,
}
TITLE_MAX_LENGTH = 500


# Who may see and read what -------------------------------------------------------------------
def readable_q(user: Any) -> Q:
    """The documents whose content (title, abstract, files) `user` may read: those that are
    not confidential, and restricted or secret ones issued where the user holds the grant."""
    q = Q(confidentiality=Confidentiality.NONE)
    for level, action in LEVEL_ACTIONS.items():
        scope = scope_for(user, action)
        if scope.everything:
            q |= Q(confidentiality=level)
        elif scope.paths:
            q |= Q(confidentiality=level) & subtree_q("issuer__path", scope.paths)
    return q


def visible_documents(user: Any) -> QuerySet[Document]:
    """The documents issued in `user`'s scope, confidential ones included: what a register
    lists (their content masked where the user may not read it, `is_masked`)."""
    qs: QuerySet[Document] = Document.objects.visible_to(user, VIEW)
    return qs.select_related("issuer", "term")


def readable_documents(user: Any) -> QuerySet[Document]:
    """The documents `user` may open: in scope, and readable. Any other answers 404, as a
    missing one does."""
    return visible_documents(user).filter(readable_q(user))


def is_masked(user: Any, document: Document) -> bool:
    """Whether `user` sees this (visible) document's title, abstract and files masked."""
    return masking(user)(document)


def masking(user: Any) -> Callable[[Document], bool]:
    """`is_masked` for many documents: the user's grants are read once."""
    scopes = {level: scope_for(user, action) for level, action in LEVEL_ACTIONS.items()}

    def masked(document: Document) -> bool:
        scope = scopes.get(Confidentiality(document.confidentiality))
        return scope is not None and not scope.covers_path(document.issuer.path)

    return masked


def may_issue(user: Any, unit: OrgUnit) -> bool:
    """Whether `user` may register documents (and terms, links, files) for `unit`."""
    return scope_for(user, ISSUE_DOCUMENTS).covers_path(unit.path)


def may_read_level(user: Any, unit: OrgUnit, confidentiality: str) -> bool:
    """Whether `user` may read a document of that confidentiality issued by `unit` (and so
    register one)."""
    action = LEVEL_ACTIONS.get(Confidentiality(confidentiality))
    return action is None or scope_for(user, action).covers_path(unit.path)


# Terms ---------------------------------------------------------------------------------------
def unit_terms(unit: OrgUnit) -> QuerySet[Term]:
    """The terms of `unit`, latest first."""
    return Term.objects.filter(unit=unit).order_by("-start", "-id")


def term_on(unit: OrgUnit, day: dt.date) -> Term | None:
    """The (committee) term of `unit` that covers `day`, if one does."""
    return (
        Term.objects.filter(unit=unit, congress=False, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .order_by("-start")
        .first()
    )


def term_figures(unit: OrgUnit) -> dict[int, dict[str, Any]]:
    """Term id -> what the terms page shows of it: the documents registered in it
    (`documents`) and, per counter that has any, the next number (`next`, as
    `suggest_number` would hand it out). One grouped query for all the unit's terms: the
    documents of a term are its unit's (`document_check`), so the (issuer, term, counter,
    number) index answers it."""
    figures: dict[int, dict[str, Any]] = defaultdict(lambda: {"documents": 0, "next": {}})
    rows = (
        Document.objects.filter(issuer=unit)
        .values("term_id", "counter")
        .annotate(n=Count("id"), top=Max("number"))
        .order_by("term_id", "counter")
    )
    for row in rows:
        figure = figures[row["term_id"]]
        figure["documents"] += row["n"]
        figure["next"][row["counter"]] = row["top"] + 1
    return dict(figures)


# Numbering -----------------------------------------------------------------------------------
def counter_for(term: Term, doc_type: DocumentType, confidentiality: str) -> str:
    """The counter a document of that type and confidentiality is numbered in, in `term`."""
    return counter_of(
        doc_type, congress=term.congress, secret=confidentiality == Confidentiality.SECRET
    )


def suggest_number(issuer: OrgUnit, counter: str, term: Term) -> int:
    """The next number of the counter: one more than the highest registered (numbers run
    from 1 in each term)."""
    top = Document.objects.filter(issuer=issuer, term=term, counter=counter).aggregate(
        top=Max("number")
    )["top"]
    return (top or 0) + 1


def suggest_number_for(
    issuer: OrgUnit, type_code: str, term: Term, confidentiality: str = Confidentiality.NONE
) -> tuple[int, str]:
    """The next number of the counter a document of `type_code` is numbered in, and the
    symbol it would print with."""
    doc_type = document_type(type_code)
    number = suggest_number(issuer, counter_for(term, doc_type, confidentiality), term)
    return number, render_symbol(number, doc_type.code, term.issuer_symbol)


def number_gaps(issuer: OrgUnit, term: Term) -> dict[str, list[int]]:
    """Counter -> the numbers missing below its highest (a register of 1, 2, 4 misses 3), for
    every counter of `issuer` in `term` that has any."""
    numbers: dict[str, set[int]] = defaultdict(set)
    rows = Document.objects.filter(issuer=issuer, term=term).values_list("counter", "number")
    for counter, number in rows.iterator(chunk_size=5000):
        numbers[counter].add(number)
    return {
        counter: [n for n in range(1, max(used) + 1) if n not in used]
        for counter, used in sorted(numbers.items())
    }


def document_check(
    *,
    issuer: OrgUnit,
    type_code: str,
    term: Term,
    number: int,
    date: dt.date,
    title: str,
    confidentiality: str,
    status: str,
    exclude_id: int | None = None,
) -> tuple[DocumentType, str]:
    """Refuse a document the register cannot take: an unknown type, a term of another unit,
    a date outside the term, a number not positive or already used in its counter, an empty
    title, an unknown confidentiality or status. Returns its type and counter."""
    doc_type = document_type(type_code)
    rules = current_ruleset()
    levels = rules.section("documents").get("confidentiality", list(Confidentiality.values))
    if confidentiality not in levels or confidentiality not in Confidentiality.values:
        raise violation(
            "document.confidentiality_unknown",
            _("%(value)s is not a level of confidentiality; known: %(known)s.")
            % {"value": confidentiality, "known": ", ".join(levels)},
            field="confidentiality",
        )
    if status not in Status.values:
        raise ServiceError(
            "document.status_unknown",
            _("%(value)s is not a status of a document; known: %(known)s.")
            % {"value": status, "known": ", ".join(Status.values)},
            field="status",
        )
    if not title.strip():
        raise ServiceError("document.title_missing", _("A document needs a title."), field="title")
    if term.unit_id != issuer.pk:
        raise ServiceError(
            "document.term_of_another_unit",
            _("The term %(term)s is not a term of the issuer %(unit)s.")
            % {"term": term.label, "unit": issuer.code},
            field="term",
        )
    # A running term runs to today: a document is registered once written, never ahead.
    if not term.covers(date) or (term.end is None and date > dt.date.today()):
        raise violation(
            "document.date_outside_term",
            _("%(date)s is outside the term %(term)s (%(start)s to %(end)s).")
            % {
                "date": date.isoformat(),
                "term": term.label,
                "start": term.start.isoformat(),
                "end": term.end.isoformat() if term.end else _("today"),
            },
            field="date",
        )
    if number < 1:
        raise ServiceError("document.number_invalid", _("Numbers start from 1."), field="number")
    counter = counter_for(term, doc_type, confidentiality)
    if term.pk is None:  # a term an import is about to open holds no document yet
        return doc_type, counter
    taken = Document.objects.filter(issuer=issuer, term=term, counter=counter, number=number)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    holder = taken.only("symbol").first()
    if holder is not None:
        raise violation(
            "document.number_taken",
            _(
                "Number %(number)s of this counter is already used in the term %(term)s (%(symbol)s); the next free one is %(next)s."
            )
            % {
                "number": number,
                "term": term.label,
                "symbol": holder.symbol,
                "next": suggest_number(issuer, counter, term),
            },
            field="number",
        )
    return doc_type, counter


def replacement_cycle(source: Document, target: Document) -> bool:
    """Whether "source replaces target" would close a cycle of replacements: target already
    replaces source, directly or through others."""
    seen: set[int] = set()
    frontier = {target.pk}
    while frontier:
        if source.pk in frontier:
            return True
        seen |= frontier
        frontier = (
            set(
                DocumentLink.objects.filter(
                    source_id__in=frontier, kind=LinkKind.REPLACES
                ).values_list("target_id", flat=True)
            )
            - seen
        )
    return False


# Lists and search ----------------------------------------------------------------------------
# A search counts each word's keys up to WORD_CAP (an index range with a LIMIT; one query for
# all the words) and checks the words rarest first. Under the cap, it starts from the rarest
# word's documents, latest first, and checks the other words on them a batch at a time
# (`_pick`); above, it walks the register latest first and checks the words of each batch
# (`_walk`). A batch is one query (`_checker`): each of its documents answered with whether
# it holds the words, by its keys alone, the rarest first (`_holding`), and only then whether
# it is in the search's scope and readable.
WORD_CAP = 3000
# The batches: the first holds FIRST_BATCH times the documents wanted (at least MIN_BATCH);
# the next as many as the share found so far says the rest needs, a quarter more, at most
# GROWTH times the last and MAX_BATCH. A batch's words are checked by their keys alone,
# cheap enough that reading a few hundred documents too many costs less than one more
# batch (one more query).
FIRST_BATCH = 4
MIN_BATCH = 200
MAX_BATCH = 5000
GROWTH = 8
# After this many documents read, the walk hands the rest of the page to one query the
# database plans (words each common, seldom together: no order of reading is cheap).
WALK_LIMIT = 40_000


def search_documents(
    user: Any,
    *,
    unit: OrgUnit | None = None,
    q: str = "",
    type_code: str = "",
    term: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    status: str = "",
    after: tuple[dt.date, int] | None = None,
    limit: int | None = None,
) -> QuerySet[Document]:
    """The documents `user` may see, filtered: issued in `unit`'s subtree, of a type, of a
    term (its label), dated within the period, with a status, and in which every word of
    `q` starts a word (accents and case aside: `documents.words`) of the symbol, title,
    abstract or attached PDFs' text — of the symbol alone where the user may not read the
    content: a search must not tell what is masked. Latest first; after `after` (a date and
    an id: the last of the page before) when given.

    With `limit` (a page), a search by words holds at most the first `limit` documents: how
    they are found depends on how common the words are (`WORD_CAP`, `_pick`, `_walk`); a
    page asks for one more than it shows, and the next page starts `after` its last.
    Without it, every document found."""

    def filtered(documents: QuerySet[Document]) -> QuerySet[Document]:
        if type_code:
            documents = documents.filter(type=type_code)
        if term:
            documents = documents.filter(term__label=term)
        if date_from is not None:
            documents = documents.filter(date__gte=date_from)
        if date_to is not None:
            documents = documents.filter(date__lte=date_to)
        if status:
            documents = documents.filter(status=status)
        if after is not None:
            documents = documents.filter(_before(*after))
        return documents

    qs = visible_documents(user)
    if unit is not None:
        qs = qs.filter(issuer__path__gte=unit.path, issuer__path__lt=unit.path + PATH_END)
    qs = filtered(qs)
    words = query_words(search_text(q))
    if not words:
        return qs.order_by("-date", "-id")
    # The database cannot tell how many keys a word starts (it took "28-nq", 80,000 keys,
    # for one): count them, within the search's provinces, up to the cap.
    areas, exact = _areas(user, unit)
    counts = _capped_counts(words, areas)
    if 0 in counts.values():
        return qs.none()
    # Rarest first: a document the rarest word misses is not checked for the others (the
    # database checks the conditions in the order written, and stops at the first false).
    words = sorted(words, key=lambda w: counts[w])
    rarest = words[0]

    # Every word starts a key of the document; where the user may not read it, a key of its
    # symbol (a search must not tell what is masked). This is what is found, however it is
    # read: the ways below only choose which documents it is checked on.
    def found() -> QuerySet[Document]:
        return _matching(qs, user, words, _keys)

    if counts[rarest] <= WORD_CAP:
        # A rare word: its few documents (in the search's provinces).
        if limit is None:
            # The same, checked on documents named by id: each document's keys read by the
            # primary key (`_probe`), whatever the database thinks of the words' ranges.
            ids = set(_word_keys(rarest, areas).values_list("document_id", flat=True))
            return _matching(qs, user, words, _probe).filter(pk__in=ids).order_by("-date", "-id")
        # Its documents, as a subquery: the LIMIT (the count is under it, so it drops none)
        # tells the database they are few, and it reads each by its key (a list of ids in
        # the query would be one more round trip, and planning its thousands of values
        # took as long as reading the documents).
        rare = _word_keys(rarest, areas).values("document_id")[: WORD_CAP + 1]
        if len(words) == 1:
            # Every one holds the word: those of the search's scope and filters (a masked
            # one by its symbol), sorted by date, in one query.
            readable = _readable_or_symbol(qs, user, words, _probe)
            return readable.filter(pk__in=rare).order_by("-date", "-id")
        # Those of the search's scope and filters latest first, the other words checked a
        # batch at a time until the page is full (the first batch FIRST_BATCH times it).
        rows = list(qs.filter(pk__in=rare).order_by("-date", "-id").values_list("pk", flat=True))
        page = _pick(rows, _checker(qs, user, words, words[1:], False), limit)
        return qs.filter(pk__in=page).order_by("-date", "-id")
    if limit is None:
        return found().order_by("-date", "-id")
    # Common words: the register latest first, each batch's documents checked for the words
    # (and for the scope and the unit: the check reads the documents it keeps). A search
    # above the provinces reads the whole register, one exactly of provinces their own,
    # from the index of dates alone (`document_date_id`, `document_area_date_id`); a
    # commune's, its units' documents.
    if areas is None:
        register = filtered(Document.objects.all())
    elif exact:
        register = filtered(Document.objects.filter(area__in=areas))
    else:
        register = qs
    # Every count reached the cap: which word is rarest, the first batch tells.
    page = _walk(register, found, _checker(qs, user, words, words, True), limit)
    return qs.filter(pk__in=page).order_by("-date", "-id")


def _before(day: dt.date, pk: int) -> Q:
    """The documents before (date, id) `day`, `pk` latest first: written so that an index
    on (…, date, id) reads them as one range from `day` down."""
    return Q(date__lte=day) & (Q(date__lt=day) | Q(date=day, id__lt=pk))


def _keys(word: str) -> QuerySet[DocumentWord]:
    """The keys of the (outer query's) document that `word` starts."""
    return DocumentWord.objects.filter(document=OuterRef("pk"), word__gte=word, word__lt=word + TOP)


def _starting(word: str) -> QuerySet[DocumentWord]:
    """The keys `word` starts, which only the primary key (document, word) can read by
    document: the upper end of the range is on an expression no index holds. Else the
    database, misjudging the range as tiny, reads the word's whole range for the few
    documents asked about, or joins every document of it to them (1.3 s for "28-nq")."""
    return (
        DocumentWord.objects.filter(word__gte=word)
        .annotate(upto=Concat("word", Value("")))
        .filter(upto__lt=word + TOP)
    )


def _probe(word: str) -> QuerySet[DocumentWord]:
    """`_keys`, read by the primary key (`_starting`)."""
    return _starting(word).filter(document=OuterRef("pk"))


def _matching(
    qs: QuerySet[Document],
    user: Any,
    words: list[str],
    keys: Callable[[str], QuerySet[DocumentWord]],
) -> QuerySet[Document]:
    """The documents of `qs` in which every word starts a key (`keys`: `_keys` or `_probe`);
    where `user` may not read the document, a key of its symbol."""
    return _readable_or_symbol(
        qs.filter(*[Exists(keys(word)) for word in words]), user, words, keys
    )


def _readable_or_symbol(
    qs: QuerySet[Document],
    user: Any,
    words: list[str],
    keys: Callable[[str], QuerySet[DocumentWord]],
) -> QuerySet[Document]:
    """The documents of `qs` that `user` may read, or in whose symbol every word starts a
    key."""
    return qs.filter(
        readable_q(user) | Q(*[Exists(keys(word).filter(symbol=True)) for word in words])
    )


# A batch's documents, latest first, as the check answers them: (date, id, whether kept).
Checked = list[tuple[dt.date, int, bool]]


def _checker(
    qs: QuerySet[Document], user: Any, words: list[str], unchecked: list[str], sample: bool
) -> Callable[[QuerySet[Document], int | None], Checked]:
    """What checks a batch (the first `limit` documents of a queryset, latest first): each
    kept when `_matching` finds it in `qs` for `words`, knowing that each holds every word
    but `unchecked` (ordered rarest first). One query a batch: the batch's documents, each
    answered with whether it holds the unchecked words (`_holding`: by their keys alone,
    the rarest first) and then whether it is in `qs` and readable (the scope, the filters,
    who may read it), each check a subquery on that one document by its primary key, never
    a join the database might turn around. With `sample` (words whose counts all reached
    the cap, so which is rarest is not known), the first batch answers each word apart,
    and tells which of the words its documents hold least: the rarest first from then
    on."""
    visible = Exists(_readable_or_symbol(qs, user, words, _probe).filter(_this("pk")).order_by())
    order = list(unchecked)
    sampled = not sample or len(order) < 2

    def check(batch: QuerySet[Document], limit: int | None) -> Checked:
        nonlocal sampled
        batch = batch.order_by("-date", "-id")
        if not sampled:
            sampled = True
            flags = {f"word_{i}": Exists(_held(word)) for i, word in enumerate(order)}
            held: dict[str, set[int]] = {word: set() for word in order}
            answered = []
            rows = batch.annotate(**flags, seen=visible).values_list("date", "pk", "seen", *flags)
            for day, pk, seen, *holds in rows[:limit]:
                for word, holding in zip(order, holds, strict=True):
                    if holding:
                        held[word].add(pk)
                answered.append((day, pk, bool(seen) and all(holds)))
            order.sort(key=lambda word: len(held[word]))
            return answered
        kept = ExpressionWrapper(_holding(order) & Q(visible), output_field=BooleanField())
        rows = batch.annotate(kept=kept).values_list("date", "pk", "kept")
        return [(day, pk, bool(ok)) for day, pk, ok in rows[:limit]]

    return check


def _holding(words: list[str]) -> Q:
    """Whether the (outer query's) document holds every word (a key it starts), checked by
    its keys' primary key in the order given (the database checks them in the order
    written and stops at the first false: the rarest first)."""
    return Q(*[Exists(_held(word)) for word in words])


def _this(field: str) -> Q:
    """`field` is the outer query's document; for a check in a query's SELECT list, which
    must stay a subquery on that one document, run for each of the batch's documents. The
    equality alone would let the database hash the whole of the subquery's answer once
    instead (every document in scope, every key of a word's range: seconds), judging the
    batch by the table it is read from, before its LIMIT; a comparison to the outer query
    other than an equality (the `<=` here, true with it) keeps it from that, and the
    equality still reads the one document by its key."""
    return Q(**{field: OuterRef("pk"), f"{field}__lte": OuterRef("pk")})


def _held(word: str) -> QuerySet[DocumentWord]:
    """`_probe` for a check in the SELECT list (`_this`)."""
    return _starting(word).filter(_this("document_id"))


def _word_keys(word: str, areas: list[int] | None) -> QuerySet[DocumentWord]:
    """The keys `word` starts, of the documents of `areas` (every area when None): an
    index-only range of `document_word` or `document_word_area`."""
    keys = DocumentWord.objects.filter(word__gte=word, word__lt=word + TOP)
    if areas is not None:
        keys = keys.filter(area__in=areas)
    return keys.order_by()


def _capped_counts(words: list[str], areas: list[int] | None) -> dict[str, int]:
    """Word -> how many keys it starts (`_word_keys`), counted up to WORD_CAP + 1: one query
    for all the words, each count a scalar subquery on an index range with a LIMIT (as
    Django counts a sliced queryset), instead of a round trip per word."""
    parts, params = [], []
    db = DocumentWord.objects.db
    for word in words:
        keys = _word_keys(word, areas).values("document_id")[: WORD_CAP + 1]
        sql, word_params = keys.query.get_compiler(db).as_sql()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")
        params.extend(word_params)
    with connections[db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return dict(zip(words, row, strict=True))


def _areas(user: Any, unit: OrgUnit | None) -> tuple[list[int] | None, bool]:
    """The areas (provinces: `Document.area`) a search of `user` within `unit` reads: None
    for all of them (a scope above the provinces); and whether the search's scope is
    exactly these areas (a province, not a commune in it)."""
    if unit is not None and unit.depth >= AREA_DEPTH:
        paths: tuple[str, ...] = (unit.path,)
    else:
        scope = scope_for(user, VIEW)
        if scope.everything:
            return None, True
        paths = scope.paths
    depths = {len(p) // OrgUnit.steplen for p in paths}
    if any(d < AREA_DEPTH for d in depths):
        return None, False
    ids = OrgUnit.objects.filter(path__in={area_path(p) for p in paths}).values_list(
        "pk", flat=True
    )
    return list(ids), depths == {AREA_DEPTH}


def _next_batch(found: int, scanned: int, wanted: int, last: int) -> int:
    """The size of the next batch: as many as the share found so far says the rest of the
    page needs, a quarter more; at least MIN_BATCH, at most GROWTH times the last and
    MAX_BATCH."""
    kept = max(found, 1) / scanned
    return min(max(int((wanted - found) / kept * 1.25), MIN_BATCH), last * GROWTH, MAX_BATCH)


def _pick(
    rows: list[int], check: Callable[[QuerySet[Document], int | None], Checked], wanted: int
) -> list[int]:
    """The first `wanted` of `rows` (ids, latest first) that `check` keeps, checked a batch
    at a time (the first FIRST_BATCH times `wanted`)."""
    ids: list[int] = []
    batch_size, scanned = wanted * FIRST_BATCH, 0
    while len(ids) < wanted and scanned < len(rows):
        batch = rows[scanned : scanned + batch_size]
        scanned += len(batch)
        checked = check(Document.objects.filter(pk__in=batch), None)
        ids.extend(pk for _day, pk, kept in checked if kept)
        batch_size = _next_batch(len(ids), scanned, wanted, batch_size)
    return ids[:wanted]


def _walk(
    register: QuerySet[Document],
    found: Callable[[], QuerySet[Document]],
    check: Callable[[QuerySet[Document], int | None], Checked],
    wanted: int,
) -> list[int]:
    """The first `wanted` documents of `found` (ids, latest first), read from `register`
    (the same documents, or more, before the words are checked) in batches latest first:
    `check` reads each batch and tells which of its documents `found` holds, by their keys,
    never by a join the database might turn around. Past WALK_LIMIT documents, the rest of
    the page is one query the database plans (`found`)."""
    ids: list[int] = []
    batch_size, scanned = max(wanted * FIRST_BATCH, MIN_BATCH), 0
    rest = register
    while len(ids) < wanted:
        if scanned >= WALK_LIMIT:
            more = found().filter(pk__in=rest.values("pk")).values_list("pk", flat=True)
            return ids + list(more.order_by("-date", "-id")[: wanted - len(ids)])
        batch = check(rest, batch_size)
        if not batch:
            break
        scanned += len(batch)
        ids.extend(pk for _day, pk, kept in batch if kept)
        if len(batch) < batch_size:
            break
        day, pk, _kept = batch[-1]
        rest = rest.filter(_before(day, pk))
        batch_size = _next_batch(len(ids), scanned, wanted, batch_size)
    return ids[:wanted]


def symbol_key(symbol: str) -> str:
    """The normalized symbol of a document (what the admin searches)."""
    return normalize_name(symbol)


def document_links(document: Document, user: Any) -> dict[str, list[DocumentLink]]:
    """The document's links both ways ("out": what it implements, replaces…; "in": what
    implements, replaces… it), each to a document `user` may see."""
    visible = visible_documents(user).values("pk")
    return {
        "out": list(
            document.links_out.filter(target__in=visible).select_related(
                "target__issuer", "source__issuer"
            )
        ),
        "in": list(
            document.links_in.filter(source__in=visible).select_related(
                "source__issuer", "target__issuer"
            )
        ),
    }


# Statistics ----------------------------------------------------------------------------------
def counts_by_type(
    units: Iterable[OrgUnit], date_from: dt.date, date_to: dt.date
) -> dict[int, dict[str, int]]:
    """Unit id -> type -> the documents its subtree's units issued from `date_from` to
    `date_to` (drafts are not issued). One query for them all (a unit and the units below
    it, as the statistics ask): the documents of the units' subtrees grouped by type and by
    their issuer's path cut at the deepest unit's depth; a unit's count is the sum of the
    groups under its path."""
    units = list(units)
    result: dict[int, dict[str, int]] = {u.pk: {} for u in units}
    if not units:
        return result
    length = OrgUnit.steplen * max(u.depth for u in units)
    rows = (
        Document.objects.filter(date__gte=date_from, date__lte=date_to)
        .exclude(status=Status.DRAFT)
        .filter(subtree_q("issuer__path", {u.path for u in units}))
        .annotate(prefix=Substr("issuer__path", 1, length))
        .values("prefix", "type")
        .annotate(n=Count("id"))
    )
    for row in rows:
        for unit in units:
            if row["prefix"].startswith(unit.path):
                counts = result[unit.pk]
                counts[row["type"]] = counts.get(row["type"], 0) + row["n"]
    return {pk: dict(sorted(counts.items())) for pk, counts in result.items()}
