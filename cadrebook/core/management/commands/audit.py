"""`cadrebook audit verify`: check the audit log's hash chain and name its first broken link.

Exit status 0 when every entry follows from the one before it; 1 at the first that does not
(an entry before it was deleted, or it was altered). The last id and hash printed let a
later run notice the newest entries deleted: keep them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Work with the audit log: `verify` checks its hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check the hash chain and report the first broken link")

    def handle(self, *args: Any, **options: Any) -> None:
        from cadrebook.core.audit_chain import entries_in_order, verify
        from cadrebook.core.models import AuditEntry

        verdict = verify(entries_in_order(AuditEntry.objects.all()))
        if verdict.holds:
            if verdict.last_id is None:
                self.stdout.write(_("The audit log is empty."))
                return
            self.stdout.write(
                _("The audit log's chain holds: %(n)d entries; the last is #%(id)d, hash %(hash)s.")
                % {"n": verdict.checked, "id": verdict.last_id, "hash": verdict.last_hash}
            )
            return
        assert verdict.broken_at is not None
        entry = AuditEntry.objects.get(pk=verdict.broken_at)
        if verdict.previous_id is None:
            where = _("it is the first entry, so entries before it were deleted")
        else:
            where = _("entries between #%(prev)d and it were deleted, or it was altered") % {
                "prev": verdict.previous_id
            }
        raise CommandError(
            _(
                "The audit log's chain breaks at entry #%(id)d (%(time)s, %(event)s): its hash "
                "does not follow from the entry before it; %(where)s. The %(n)d entries before "
                "it hold."
            )
            % {
                "id": entry.pk,
                "time": entry.created_at.isoformat(),
                "event": entry.event_type,
                "where": where,
                "n": verdict.checked,
            },
            returncode=1,
        )
