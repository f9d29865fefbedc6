"""`cadrebook restore FILE`: put a backup back, into an empty database (or, with --force and
a confirmation, in place of the database in use).

Stop the server and the worker first. Everything is checked before the database is touched
(vendor, migrations, checksums, the database itself); a failure leaves it as it was. A backup
of an older Cadrebook is migrated after the restore; one of a newer Cadrebook is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = (
        "Restore a backup made by `cadrebook backup` into an empty database. Stop the server "
        "and the worker first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds Cadrebook data (asks first)",
        )
        parser.add_argument(
            "--yes",
            "--no-input",
            "--noinput",
            dest="interactive",
            action="store_false",
            help="do not ask for confirmation",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import connection

        from cadrebook.core.backup import (
            BackupError,
            cadrebook_tables,
            describe,
            read_manifest,
            restore_backup,
        )

        path = Path(options["file"])
        replace = bool(options["force"])
        try:
            if replace and cadrebook_tables():
                facts = describe(read_manifest(path))
                if options["interactive"] and not self._confirmed(
                    str(connection.settings_dict["NAME"]), facts
                ):
                    raise CommandError(_("Restore cancelled; nothing was changed."))
            summary = restore_backup(path, replace=replace)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        facts = describe(summary.manifest)
        facts["file"] = str(path)
        self.stdout.write(
            _(
                "Restored %(file)s (made %(created)s by Cadrebook %(version)s; %(entries)s audit "
                "entries, %(files)s files)."
            )
            % facts
        )
        if summary.migrated:
            self.stdout.write(_("The database was migrated to this version of Cadrebook."))

    def _confirmed(self, database: str, facts: dict[str, Any]) -> bool:
        self.stdout.write(
            _(
                "This replaces every record of the database %(db)s, and the uploaded files, "
                "with the backup made %(created)s. What was written since is lost."
            )
            % {"db": database, **facts}
        )
        try:
            answer = input(_("Type 'yes' to replace the database: "))
        except EOFError:  # no terminal to answer on (a script, cron): say how to confirm
            raise CommandError(
                _("Nothing was changed: confirm with --yes where nobody can answer the question.")
            ) from None
        return answer.strip().lower() == "yes"
