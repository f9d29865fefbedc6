"""`manage.py demo`: fill the database with a fictional province and one login per role."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Generate a fictional province (units, members, ten years of events) and demo logins. "
        "Deterministic for a given seed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--members",
            type=int,
            default=None,
            help="number of members (default 8000; 6,000,000 with --national)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already has org units",
        )
        parser.add_argument(
            "--national",
            action="store_true",
            help="national scale (~300,000 units); streamed with COPY on PostgreSQL",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import get_user_model

        from cadrebook.demo.cadres import demo_cadres
        from cadrebook.demo.generator import generate, national_params
        from cadrebook.demo.logins import DEMO_PASSWORD, create_demo_users
        from cadrebook.demo.targets import demo_targets
        from cadrebook.orgs.models import OrgUnit
        from cadrebook.reports.aggregates import rebuild_statistics

        if options["if_empty"] and OrgUnit.objects.exists():
            self.stdout.write("The database already has org units; nothing generated.")
            return
        members = options["members"]
        if members is not None and members < 1:
            raise CommandError("--members must be at least 1.")
        params: dict[str, Any]
        if options["national"]:
            params = national_params(members or 6_000_000)
            postgres = connection.vendor == "postgresql"
            params.update(copy=postgres, workers=(os.cpu_count() or 1) if postgres else 1)
        else:
            params = {"members": members or 8000}
        summary = generate(seed=options["seed"], **params)
        root = OrgUnit.objects.get(code=summary.root_code)
        logins = create_demo_users(root=root)
        targets = demo_targets(root=root, years=params.get("years", 10), today=timezone.localdate())
        organizer = get_user_model().objects.get(username="organizer")
        posts = demo_cadres(actor=organizer, root=root, today=timezone.localdate())
        build = rebuild_statistics()

        self.stdout.write(
            f"Generated province {summary.root_code}: {summary.units:,} units "
            f"({summary.member_units:,} holding members), {summary.members:,} members, "
            f"{summary.events:,} events, {summary.periods:,} periods "
            f"in {summary.seconds:.1f} s."
        )
        self.stdout.write(
            f"Set {targets:,} targets and {posts:,} committee posts; "
            + (
                f"built the statistics in {build.seconds:.1f} s."
                if build
                else "run `cadrebook report rebuild` for fast statistics."
            )
        )
        self.stdout.write(
            "Members by status: "
            + ", ".join(f"{status} {count:,}" for status, count in summary.statuses.items())
        )
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        self.stdout.write(f"  {'username':<10} {'role':<14} unit")
        for username, role, unit in logins:
            self.stdout.write(f"  {username:<10} {role:<14} {unit}")
