"""`cadrebook flush`: Django's flush (delete every row of every table), through the
append-only guards: it is the one deliberate way to erase the audit log and the members'
histories, and the test suite's way to empty the database between transactional tests."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from cadrebook.core.append_only import unguarded


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        with unguarded(using=connections[options["database"]]):
            super().handle(**options)
