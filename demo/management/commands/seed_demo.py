"""Fill the database with a demo world, and optionally with many bulk cases.

    manage.py seed_demo                 units, eight users, a dozen cases, all through the services
    manage.py seed_demo --if-empty      the same, unless the demo is already there (make run)
    manage.py seed_demo --cases 10000   the demo (if absent) plus 10,000 bulk cases

Passwords are random per run and printed once; they are stored nowhere but in the users' hashes.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from demo import world

ALREADY_PRESENT = "demo data already present; use `python manage.py changepassword USER` to set a password"


class Command(BaseCommand):
    help = "Create the demo units, users and cases (through the services); --cases N adds N bulk cases."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help=f"Do nothing when the user {world.ADMIN_USERNAME!r} exists."
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=0,
            metavar="N",
            help="Also generate N bulk cases with persons, participants, acts, evidence and grants.",
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="Cases per bulk transaction (default 1000).")
        parser.add_argument(
            "--workers", type=int, default=1, help="Parallel bulk processes (PostgreSQL only; default 1)."
        )
        parser.add_argument(
            "--method",
            choices=("auto", "orm", "copy"),
            default="auto",
            help="Bulk writer: bulk_create (orm), PostgreSQL COPY (copy); auto = copy on PostgreSQL.",
        )
        parser.add_argument(
            "--defer-fk-checks",
            action="store_true",
            help="PostgreSQL superuser: skip the per-row foreign-key triggers while loading "
            "(session_replication_role=replica) and verify every foreign key afterwards.",
        )
        parser.add_argument("--seed", type=int, default=None, help="Random seed (default: a new one each run).")

    def handle(
        self,
        *args,
        if_empty: bool,
        cases: int,
        batch_size: int,
        workers: int,
        seed: int | None,
        method: str,
        defer_fk_checks: bool,
        **options,
    ):
        if cases < 0 or batch_size < 1 or workers < 1:
            raise CommandError("--cases must be >= 0, --batch-size and --workers >= 1")
        if (workers > 1 or method == "copy") and connection.vendor != "postgresql":
            raise CommandError("--workers > 1 and --method copy need PostgreSQL")
        present = world.demo_present()
        if present and if_empty:
            self.stdout.write(ALREADY_PRESENT)
            return
        report = None
        if not present:
            started = time.monotonic()
            with transaction.atomic():
                report = world.seed_world(seed=seed)
            self.stdout.write(f"demo world: {len(report.cases)} cases in {time.monotonic() - started:.1f} s")
        try:
            if cases:
                self._bulk(
                    cases=cases,
                    batch_size=batch_size,
                    workers=workers,
                    seed=seed,
                    method=method,
                    defer_fk_checks=defer_fk_checks,
                )
        finally:  # the demo users exist now: their passwords must be shown even if the bulk part failed
            if report is not None:
                self._print_passwords(report.passwords)

    def _bulk(self, **options) -> None:
        from demo import bulk

        try:
            result = bulk.seed_bulk(**options, progress=lambda line: self.stdout.write(line))
        except PermissionError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(result.summary())

    def _print_passwords(self, rows: list[tuple[str, str, str, str]]) -> None:
        header = ("username", "role", "unit", "password")
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        self.stdout.write("")
        self.stdout.write("Demo users (passwords are shown only now; `manage.py changepassword USER` sets a new one):")
        self.stdout.write(line.format(*header))
        self.stdout.write(line.format(*("-" * w for w in widths)))
        for row in rows:
            self.stdout.write(line.format(*row))
