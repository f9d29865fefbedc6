"""`cadrebook backup FILE`: the database and the uploaded files in one file;
`cadrebook backup --check FILE`: read a backup through without restoring it.

The backup is consistent while the server runs (SQLite's online backup API; pg_dump's
snapshot), is written beside FILE and moved into place when complete, and is recorded in the
audit log. Its format is described in cadrebook/core/backup.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = (
        "Back up the database and the uploaded files to FILE (a .tar.gz), or with --check, "
        "check that FILE is a complete, undamaged backup."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--check",
            action="store_true",
            help="read the backup through (checksums, database) without restoring it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from cadrebook.core.backup import BackupError, check_backup, describe, make_backup

        path = Path(options["file"])
        try:
            summary = check_backup(path) if options["check"] else make_backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        facts = describe(summary.manifest)
        facts["file"] = str(path)
        if options["check"]:
            message = _(
                "%(file)s is a complete backup: every checksum matches and the database reads "
                "back. Made %(created)s by Cadrebook %(version)s from %(vendor)s; %(entries)s "
                "audit entries, %(files)s files."
            )
        else:
            message = _(
                "Backed up to %(file)s (%(vendor)s, %(entries)s audit entries, %(files)s files)."
            )
        self.stdout.write(message % facts)
