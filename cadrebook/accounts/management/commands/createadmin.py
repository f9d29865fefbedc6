"""`cadrebook createadmin USERNAME`: a national administrator (superuser) with a password."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant, user_create
from cadrebook.core.errors import ServiceError


class Command(BaseCommand):
    help = "Create a national administrator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", help="read from the terminal when omitted")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or getpass.getpass("Password: ")
        if len(password) < 8:
            raise CommandError("The password must have at least 8 characters.")
        try:
            with transaction.atomic():
                user = user_create(
                    actor=None,
                    username=options["username"],
                    password=password,
                    email=options["email"],
                )
                get_user_model().objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
                role_grant(actor=None, user=user, role=Role.ADMINISTRATOR, unit=None)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"National administrator {options['username']} created.")
