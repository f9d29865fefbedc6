"""Member events whose deciding document (free text until now) names a document of the
register point at it: the text is read for one symbol (`documents.references.symbol_key`),
looked for among the issued documents of the event's unit and of the units above it, dated
on or before the event (one of a term covering the event's date where the symbol comes back
each term). Text that names no single registered document stays text, as written; the text
column is never changed.

The events are append-only (triggers refuse UPDATE), so the links are written with the
triggers dropped for this transaction only (`core.append_only.unguarded`). A register with
no documents (every database before the register existed) links nothing and reads no event.
"""

from collections import defaultdict

from django.db import migrations
from django.db.models import Q

from cadrebook.core.append_only import unguarded
from cadrebook.documents.references import match_symbol, symbol_key

CHUNK = 2000


def _prefixes(path):
    # A unit's path and its ancestors' are its prefixes; asking for every prefix (not only
    # those of a whole step) needs no knowledge of the tree's step length.
    return {path[:k] for k in range(1, len(path) + 1)} if path else set()


def _ancestor_paths(OrgUnit, MemberPeriod, event, db):
    """The paths of the event's unit and the units above it: its own unit, else the units
    the member stood in on its date (a closing event ends a period that day)."""
    paths = _prefixes(event["unit__path"])
    if not paths:
        stood = (
            MemberPeriod.objects.using(db)
            .filter(
                Q(valid_to__isnull=True) | Q(valid_to__gte=event["date"]),
                member_id=event["member_id"],
                valid_from__lte=event["date"],
            )
            .values_list("unit__path", flat=True)
        )
        for path in stood:
            paths |= _prefixes(path)
    if not paths:
        paths = _prefixes(event["member__unit__path"])
    return list(OrgUnit.objects.using(db).filter(path__in=paths).values_list("path", flat=True))


def link(apps, schema_editor):
    Document = apps.get_model("documents", "Document")
    MemberEvent = apps.get_model("members", "MemberEvent")
    MemberPeriod = apps.get_model("members", "MemberPeriod")
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    db = schema_editor.connection.alias
    documents = Document.objects.using(db)
    registered = {
        key for key in map(symbol_key, documents.values_list("symbol_norm", flat=True)) if key
    }
    if not registered:
        return
    links = defaultdict(list)
    events = (
        MemberEvent.objects.using(db)
        .exclude(document="")
        .filter(registered_document__isnull=True)
        .values("id", "member_id", "date", "document", "unit__path", "member__unit__path")
        .order_by("id")
    )
    for event in events.iterator(chunk_size=CHUNK):
        if symbol_key(event["document"]) not in registered:
            continue
        paths = _ancestor_paths(OrgUnit, MemberPeriod, event, db)
        document = match_symbol(documents, event["document"], paths, event["date"])
        if document is not None:
            links[document.pk].append(event["id"])
    if not links:
        return
    with unguarded(["members_memberevent"], using=schema_editor.connection):
        for document_id, ids in links.items():
            for start in range(0, len(ids), CHUNK):
                MemberEvent.objects.using(db).filter(pk__in=ids[start : start + CHUNK]).update(
                    registered_document_id=document_id
                )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0016_memberevent_registered_document"),
        # The register as it stands at the time (its search keys in place of a column).
        ("documents", "0003_search_words"),
    ]
    operations = [migrations.RunPython(link, migrations.RunPython.noop)]
