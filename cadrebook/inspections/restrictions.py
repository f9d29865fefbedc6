"""The restrictions a discipline puts on a member, given to `core.restrictions` (registered at
start-up by the app's `ready()`): while a decision is in force (until it lapses after the rule
set's months without appeal or new violation, `discipline_rules.lapse_day`; an expulsion never
lapses, and ends membership anyway) no transfer, appointment
or title; after a removal from post no equal or higher post for a while; a higher post only
some months after a reprimand, a warning or a removal (`[discipline.bans]`). A decision
annulled or changed on appeal imposes nothing (the changed one's replacement does)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from cadrebook.core.restrictions import Restriction
from cadrebook.inspections import discipline_rules as engine
from cadrebook.inspections.choices import DisciplineStatus
from cadrebook.inspections.models import Discipline
from cadrebook.inspections.selectors import standings


def discipline_restrictions(member_id: int, day: dt.date, kind: str) -> list[Restriction]:
    """The member's restrictions of `kind` on `day` from the disciplines in force (no query
    for a kind the rule set's bans do not know)."""
    r = engine.discipline_rules()
    if all(b.code != kind for b in r.ban_kinds):
        return []
    rows = list(
        Discipline.objects.filter(
            member_id=member_id, status=DisciplineStatus.IN_FORCE, decided_on__lte=day
        ).only("form", "decided_on", "document_text", "member_id", "unit_id")
    )
    if not rows:
        return []
    # The bans while in force last until the decision lapses: after its appeal, and no
    # earlier than a later discipline (`selectors.standings`).
    known = standings(rows)
    found = []
    for d in rows:
        if d.form not in r.severity:
            continue  # a form of an older rule set: nothing this one can say
        effects = engine.effects(d.form, d.decided_on, rules=r, standing=known.get(d.pk))
        for ban in effects.active_bans(day, kind):
            reason = _("%(form)s decided on %(day)s%(document)s") % {
                "form": r.form_label(d.form),
                "day": d.decided_on.isoformat(),
                "document": f", {d.document_text}" if d.document_text else "",
            }
            found.append(Restriction(ban.code, ban.until, reason, ban.source))
    return found
