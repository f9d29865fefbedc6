"""`cadrebook report stats|rebuild`: the statistics of a subtree, and the aggregates behind them.

    cadrebook report stats --unit CODE --from YYYY-MM-DD --to YYYY-MM-DD [--as-of YYYY-MM-DD]
        [--format json|csv|xlsx|pdf] [--output FILE] [--language en|vi|km] [--user USERNAME]
    cadrebook report rebuild

Without --user the system reads everything; with --user the unit must be in that user's
scope, and the figures are what that user sees from the web (docs/reports.md, "Privacy"). Run `report rebuild` nightly (cron) and after bulk changes.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from cadrebook.core.permissions import VIEW

FORMATS = ("json", "csv", "xlsx", "pdf")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            _("%(value)s is not a date of the form YYYY-MM-DD.") % {"value": value}
        ) from exc


class Command(BaseCommand):
    help = "Statistics of a unit's subtree (report stats), or rebuild their aggregates."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        stats = sub.add_parser("stats", help="statistics of a unit's subtree")
        stats.add_argument("--unit", required=True, metavar="CODE")
        stats.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
        stats.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
        stats.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD")
        stats.add_argument("--format", choices=FORMATS, default=None)
        stats.add_argument("--output", metavar="FILE")
        stats.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES], default="en"
        )
        stats.add_argument("--user", metavar="USERNAME", help="read with this user's scope")
        rebuild = sub.add_parser("rebuild", help="rebuild the statistics aggregates")
        rebuild.add_argument(
            "--if-stale",
            action="store_true",
            help="only when something changed since the last build",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild":
            self._rebuild(options["if_stale"])
        else:
            self._stats(options)

    def _rebuild(self, if_stale: bool) -> None:
        from cadrebook.reports.aggregates import current_build, rebuild_statistics

        if if_stale and current_build() is not None:
            self.stdout.write(_("The statistics are current; nothing to rebuild."))
            return
        build = rebuild_statistics(progress=lambda msg: self.stdout.write(msg))
        self.stdout.write(
            _("Rebuilt the statistics of %(units)d units for %(dates)d dates in %(s).1f s.")
            % {"units": build.units, "dates": len(build.dates), "s": build.seconds}
        )

    def _stats(self, options: dict[str, Any]) -> None:
        from django.contrib.auth import get_user_model

        from cadrebook.core.errors import ServiceError
        from cadrebook.core.replica import reading_replica
        from cadrebook.orgs.models import OrgUnit
        from cadrebook.reports.privacy import mask_statistics
        from cadrebook.reports.selectors import unit_statistics

        output: str | None = options["output"]
        fmt: str = options["format"] or (
            Path(output).suffix.lstrip(".").lower() if output else "json"
        )
        if fmt not in FORMATS:
            raise CommandError(
                _("Unknown format %(fmt)s; use one of %(formats)s.")
                % {"fmt": fmt, "formats": ", ".join(FORMATS)}
            )
        if fmt in ("xlsx", "pdf") and not output:
            raise CommandError(_("The %(fmt)s format needs --output FILE.") % {"fmt": fmt})
        units = OrgUnit.objects.all()
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("No user named %(name)s.") % {"name": options["user"]})
            units = OrgUnit.objects.visible_to(user, VIEW)
        unit = units.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(_("No unit with the code %(code)s.") % {"code": options["unit"]})
        date_from, date_to = _date(options["date_from"]), _date(options["date_to"])
        as_of = _date(options["as_of"]) if options["as_of"] else None
        try:
            with reading_replica():
                stats = unit_statistics(unit, date_from, date_to, as_of)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        stats = mask_statistics(stats, user)  # None (no --user): the system reads everything
        data = self._render(stats, fmt, options["language"])
        if output:
            Path(output).write_bytes(data)
            self.stderr.write(_("Wrote %(path)s.") % {"path": output})
        else:
            self.stdout.write(data.decode("utf-8"), ending="")

    @staticmethod
    def _render(stats: dict[str, Any], fmt: str, language: str) -> bytes:
        if fmt == "json":
            return (json.dumps(stats, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        from cadrebook.reports import document

        if fmt == "csv":
            return document.stats_csv(stats).encode("utf-8")
        if fmt == "xlsx":
            return document.stats_xlsx(stats, language)
        return document.stats_pdf(stats, language)
