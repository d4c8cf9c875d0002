"""manage.py requeue_renderings: send failed act renderings back to the workers (issue #5).

A rendering fails for good after ECASE_RENDER_MAX_ATTEMPTS or on a permanent error (a key
that cannot be opened, a disk that was full). Once an administrator has fixed the cause,
this queues the failed renderings again — of one act, or all of them — each audited with
the cause given. Renderings of acts that are no longer approved are left alone.
"""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from cases.choices import RenderingState
from cases.models import ActRendering
from cases.services.act_rendering import act_renderings_requeue


class Command(BaseCommand):
    help = "Queue failed renderings of approved acts again, once the cause of the failure is fixed."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--act", type=int, metavar="ID", help="The failed rendering of this act.")
        which.add_argument("--all-failed", action="store_true", help="Every failed rendering of an approved act.")
        parser.add_argument("--cause", required=True, help="What was fixed; recorded in the audit trail.")
        parser.add_argument(
            "--by",
            default=None,
            metavar="ADMIN",
            help="The administrator doing it, for the audit trail (default: the OS user).",
        )

    def handle(self, *args, act: int | None, all_failed: bool, cause: str, by: str | None, **options):
        if not cause.strip():
            raise CommandError("--cause must say what was fixed")
        actor = None
        if by is not None:
            actor = User.objects.filter(username=by, is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {by!r}")
        renderings = ActRendering.objects.filter(state=RenderingState.FAILED)
        if act is not None:
            renderings = renderings.filter(act_id=act)
        requeued = act_renderings_requeue(
            renderings=renderings,
            actor=actor,
            cause=cause.strip(),
            actor_label="" if actor else f"manage.py ({getpass.getuser()})",
        )
        if act is not None and not requeued:
            raise CommandError(f"act {act} has no failed rendering of an approved version")
        self.stdout.write(f"re-queued {len(requeued)} rendering(s)")
