"""manage.py blob_orphans: list (or with --delete remove) stored blobs no row names (issue #20)."""

from __future__ import annotations

import getpass
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from evidence.orphans import blob_orphans, blob_orphans_delete


class Command(BaseCommand):
    help = "List blobs that no evidence file, signed act or rendering names, older than a grace period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=24.0,
            help="Only blobs stored longer ago than this (default 24): younger ones may belong to "
            "an upload whose row is about to commit.",
        )
        parser.add_argument("--delete", action="store_true", help="Remove them (one audit event for the run).")
        parser.add_argument(
            "--by",
            default=None,
            metavar="ADMIN",
            help="The administrator doing it, for the audit trail (default: the OS user).",
        )

    def handle(self, *args, grace_hours: float, delete: bool, by: str | None, **options):
        if grace_hours < 0:
            raise CommandError("--grace-hours cannot be negative")
        grace = timedelta(hours=grace_hours)
        if not delete:
            orphans = blob_orphans(grace=grace)
            for orphan in orphans:
                self.stdout.write(f"{orphan.sha256}  {orphan.stored_at.isoformat()}")
            self.stdout.write(f"{len(orphans)} orphan blob(s) older than {grace_hours:g} h")
            return
        actor = None
        if by is not None:
            actor = User.objects.filter(username=by, is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {by!r}")
        removed = blob_orphans_delete(
            actor=actor, grace=grace, actor_label="" if actor else f"manage.py ({getpass.getuser()})"
        )
        for orphan in removed:
            self.stdout.write(f"removed {orphan.sha256}")
        self.stdout.write(f"removed {len(removed)} orphan blob(s) older than {grace_hours:g} h")
