"""`cadrebook import KIND FILE` (KIND: one of `formats.KINDS`): import a file in the foreground.

Exit status 0 only when every row was imported (or, with --dry-run, would be); 1 when rows
were refused (nothing written unless --valid-rows-only); 2 when the file itself was refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cadrebook.core.errors import ServiceError
from cadrebook.imports.formats import KINDS
from cadrebook.imports.services import import_file

SHOWN_ISSUES = 50


class Command(BaseCommand):
    help = (
        f"Import {', '.join(KINDS[:-1])} or {KINDS[-1]} from a CSV or XLSX file "
        "(docs/import-formats.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--valid-rows-only",
            action="store_true",
            help="import the rows that pass and report the others (default: all or nothing)",
        )
        parser.add_argument(
            "--personal-only",
            action="store_true",
            help="members: record personal data only; the history comes from an events file",
        )
        parser.add_argument("--sheet", default="", help="XLSX: the sheet to read (default first)")
        parser.add_argument("--user", default="", help="import as this user (scope and audit)")
        parser.add_argument("--report", default="", help="write the XLSX validation report here")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}", returncode=2)
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user named {options['user']}", returncode=2)
        try:
            job, report = import_file(
                actor=actor,
                kind=options["kind"],
                path=str(path),
                sheet=options["sheet"],
                dry_run=options["dry_run"],
                valid_rows_only=options["valid_rows_only"],
                personal_only=options["personal_only"],
                report_file=bool(options["report"]),
            )
        except ServiceError as exc:
            raise CommandError(f"[{exc.code}] {exc.message}", returncode=2) from exc
        data = report.as_dict(max_issues=None if options["json"] else SHOWN_ISSUES)
        if options["report"] and job.report_file:
            shutil.copyfile(job.report_file, options["report"])
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        else:
            self._print(data, options)
        if report.file_error is not None:
            raise CommandError("The file was refused; nothing was imported.", returncode=2)
        if not report.ok:
            kept = "the other rows were imported" if report.committed else "nothing was imported"
            raise CommandError(f"{len(report.refused_rows)} rows refused; {kept}.", returncode=1)

    def _print(self, data: dict[str, Any], options: dict[str, Any]) -> None:
        out = self.stdout
        if data["file_error"]:
            err = data["file_error"]
            out.write(f"File refused [{err['code']}]: {err['message']}")
            for detail in err.get("details") or []:
                out.write(f"  {detail}")
            return
        verb = (
            "would be" if data["dry_run"] else ("were" if data["committed"] else "would have been")
        )
        out.write(
            f"{data['rows_read']} rows read in {data['seconds']} s: {data['created']} created, "
            f"{data['updated']} updated, {data['unchanged']} unchanged {verb}; "
            f"{data['rows_refused']} rows refused."
        )
        for kind in ("errors", "warnings"):
            issues = data[kind]
            if not issues:
                continue
            out.write(f"{kind.capitalize()} ({data[kind + '_total']}):")
            for i in issues:
                where = f"row {i['row']}" + (f", {i['column']}" if i["column"] else "")
                value = f" = {i['value']!r}" if i["value"] else ""
                source = f" ({i['source']})" if i["source"] else ""
                out.write(f"  {where}{value}: [{i['code']}] {i['message']}{source}")
            if data[kind + "_total"] > len(issues):
                out.write(
                    f"  … {data[kind + '_total'] - len(issues)} more (see --report or --json)"
                )
