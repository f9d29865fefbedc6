"""What the register's pages show of members: the member events that cite a document
(registered with `documents.citations` in `apps.py`; the register never imports members).

Only the events of members the user may see are listed (the events' own scope: a member's
history follows the member), and each names what the dossier names to everyone who may open
it: the event, the member's name and the member's page. Nothing the dossier masks (birth
date, national ID…) is in a citation.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from cadrebook.core.permissions import VIEW
from cadrebook.documents.citations import Citation, register_citations
from cadrebook.documents.models import Document
from cadrebook.members.models import MemberEvent

KIND = "member_event"
# The most events one document lists (a decision admitting a whole class of members cites
# each of them; its page lists them, newest first, up to this many).
LIMIT = 1000


def member_event_citations(document: Document, user: Any) -> list[Citation]:
    """The events of members `user` may see that rest on `document`, newest first."""
    events = (
        MemberEvent.objects.visible_to(user, VIEW)
        .filter(registered_document=document)
        .select_related("member")
        .order_by("-date", "-id")[:LIMIT]
    )
    return [
        Citation(
            label=_("%(event)s: %(name)s")
            % {"event": e.get_type_display(), "name": e.member.full_name},
            date=e.date,
            url=reverse("members:dossier", args=[e.member_id]) + "#history",
            kind=KIND,
        )
        for e in events
    ]


def register() -> None:
    register_citations(member_event_citations, name=KIND)
