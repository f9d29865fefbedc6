"""`cadrebook token create|list|revoke`: personal API tokens from the command line."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cadrebook.accounts.models import ApiToken
from cadrebook.accounts.services import token_create, token_revoke
from cadrebook.core.errors import ServiceError


class Command(BaseCommand):
    help = "Create, list or revoke a user's personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("--user", required=True, help="the user the token acts as")
        parser.add_argument("--name", help="the token's name (create, revoke)")
        parser.add_argument("--expires", help="YYYY-MM-DD: the last day it works (create)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user is named {options['user']!r}.") from None
        action = options["action"]
        if action == "list":
            for t in ApiToken.objects.filter(user=user):
                state = "revoked" if t.revoked_at else "active"
                line = f"{t.name}\t{t.prefix}…\t{state}\tcreated {t.created_at:%Y-%m-%d}"
                if t.expires_at:
                    line += f"\texpires {t.expires_at:%Y-%m-%d}"
                self.stdout.write(line)
            return
        if not options["name"]:
            raise CommandError("--name is required to create or revoke a token.")
        if action == "revoke":
            token = ApiToken.objects.filter(
                user=user, name=options["name"], revoked_at__isnull=True
            ).first()
            if token is None:
                raise CommandError(
                    f"{user.username} has no active token named {options['name']!r}."
                )
            token_revoke(actor=None, token=token)
            self.stdout.write(f"Revoked {token.name}.")
            return
        expires = None
        if options["expires"]:
            try:
                day = dt.date.fromisoformat(options["expires"])
            except ValueError:
                raise CommandError(
                    f"--expires: {options['expires']!r} is not a YYYY-MM-DD date."
                ) from None
            expires = timezone.make_aware(
                dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
            )
        try:
            _token, raw = token_create(
                actor=None, user=user, name=options["name"], expires_at=expires
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write("The token is shown once; keep it somewhere safe.")
        self.stdout.write(raw)
