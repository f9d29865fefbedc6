"""`cadrebook export KIND` (KIND: one of `formats.KINDS`): write one kind of records to CSV or XLSX.

Without --user the system exports everything, unmasked; with --user the export has exactly
that user's scope and masking, as it would from the web. Every export is audited.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from cadrebook.imports.formats import KINDS


class _TextSink:
    """A binary `write` onto a text stream, for a stdout that has no byte buffer (tests)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def write(self, data: bytes) -> int:
        self.stream.write(self.decoder.decode(data))
        return len(data)

    def flush(self) -> None:
        self.stream.flush()


class Command(BaseCommand):
    help = (
        f"Export {', '.join(KINDS[:-1])} or {KINDS[-1]} in the import file format (CSV or "
        "XLSX). CSV goes to standard output unless --output is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("--unit", metavar="CODE", help="only this unit's subtree")
        parser.add_argument(
            "--format",
            choices=("csv", "xlsx"),
            default=None,
            help="csv or xlsx (default: from the --output suffix, else csv)",
        )
        parser.add_argument(
            "--output", metavar="FILE", help="file to write (default: standard output, csv only)"
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="export with this user's scope and masking"
        )
        parser.add_argument(
            "--headers", choices=("en", "vi"), default="en", help="header language (default en)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import get_user_model

        from cadrebook.core.replica import reading_replica
        from cadrebook.core.spreadsheets import TooManyRows
        from cadrebook.imports.exporting import export_table
        from cadrebook.orgs.models import OrgUnit

        output: str | None = options["output"]
        fmt: str = options["format"] or (
            "xlsx" if output and output.lower().endswith(".xlsx") else "csv"
        )
        if fmt == "xlsx" and not output:
            raise CommandError(_("An XLSX export needs --output FILE."))

        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(_("No user named %(name)s.") % {"name": options["user"]})

        unit = None
        if options["unit"]:
            units = OrgUnit.objects.all() if actor is None else OrgUnit.objects.visible_to(actor)
            unit = units.filter(code=options["unit"]).first()
            if unit is None:
                # Outside the user's scope reads exactly like not existing.
                if actor is None:
                    message = _("No unit with code %(code)s.")
                else:
                    message = _("No unit with code %(code)s that you may see.")
                raise CommandError(message % {"code": options["unit"]})

        def run(out: IO[bytes]) -> int:
            with reading_replica():
                return export_table(
                    actor=actor,
                    kind=options["kind"],
                    out=out,
                    fmt=fmt,
                    unit=unit,
                    headers=options["headers"],
                )

        if output is None:
            # Bytes go straight to the terminal's or pipe's buffer (no locale re-encoding);
            # a text-only stream (call_command(stdout=StringIO())) gets them decoded.
            target = cast(
                IO[bytes],
                getattr(self.stdout._out, "buffer", None) or _TextSink(self.stdout._out),
            )
            rows = run(target)
            target.flush()
            self.stderr.write(_("Exported %(rows)d rows.") % {"rows": rows})
            return

        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(_("No directory %(dir)s.") % {"dir": str(path.parent)})
        # Written beside the target and renamed at the end: a failed export leaves no
        # half-written file that looks complete.
        partial = path.with_name(path.name + ".part")
        try:
            with open(partial, "wb") as fh:
                rows = run(fh)
            os.replace(partial, path)
        except TooManyRows as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"{exc} {_('Export as CSV, or export a smaller unit.')}") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        self.stdout.write(
            _("Exported %(rows)d rows to %(file)s.") % {"rows": rows, "file": str(path)}
        )
