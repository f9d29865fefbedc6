"""`cadrebook serve`: migrate, load the demo when the database is empty, and serve."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Migrate, load the demo organization into an empty database, and serve on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        if not options["no_demo"]:
            call_command("demo", if_empty=True)
        self.stdout.write(f"Cadrebook is at http://{options['addrport']}/")
        # runserver serves the vendored static files itself (--insecure outside DEBUG).
        call_command("runserver", options["addrport"], insecure_serving=True, use_reloader=False)
