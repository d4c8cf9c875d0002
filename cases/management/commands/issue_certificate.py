"""manage.py issue_certificate USERNAME: a signing certificate from the built-in CA (issue #5).

The CA's root is created on first use. The user's key is generated here and stored only
encrypted (ECASE_SIGNING_PASSPHRASE); nobody, the administrator included, ever sees it.
Acts the user approved whose PDF failed for want of a certificate are queued again.
"""

from __future__ import annotations

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from cases.services.certificates import certificate_issue
from cases.signing.base import SigningUnavailable


class Command(BaseCommand):
    help = "Issue USERNAME a signing certificate from the built-in certificate authority."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None, help="Validity (default ECASE_SIGNING_CERTIFICATE_DAYS).")
        parser.add_argument(
            "--by",
            default=None,
            metavar="ADMIN",
            help="The administrator issuing it, for the audit trail (default: the OS user).",
        )

    def handle(self, *args, username: str, days: int | None, by: str | None, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        actor = None
        if by is not None:
            actor = User.objects.filter(username=by, is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {by!r}")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        try:
            certificate, requeued = certificate_issue(
                user=user, actor=actor, days=days, actor_label="" if actor else f"manage.py ({getpass.getuser()})"
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        except SigningUnavailable as error:  # a key or its passphrase is missing: nothing was issued
            raise CommandError(f"not issued: {error}") from error
        self.stdout.write(
            f"issued certificate {certificate.serial} to {user.username}: {certificate.subject}\n"
            f"valid until {certificate.not_after:%Y-%m-%d %H:%M %Z}; SHA-256 {certificate.sha256}"
        )
        if requeued:
            self.stdout.write(f"re-queued the PDFs of {len(requeued)} approved act(s) that had failed")
