"""`cadrebook reset2fa USERNAME`: remove a user's two-factor sign-in (authenticator app and
backup codes), for when the only administrator lost their phone. Audited as the system."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cadrebook.accounts.services import two_factor_reset


class Command(BaseCommand):
    help = "Remove a user's two-factor sign-in: they sign in with the password alone again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user is named {options['username']!r}.")
        removed = two_factor_reset(actor=None, user=user)
        if removed:
            self.stdout.write(
                f"Two-factor sign-in of {user.username} removed; they sign in with the "
                "password alone and set up a new app."
            )
        else:
            self.stdout.write(f"{user.username} had no two-factor sign-in; nothing to remove.")
