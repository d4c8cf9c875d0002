"""manage.py verify_act FILE.pdf [--roles author,approver]: every signature by role, then VALID or INVALID.

The signatures are checked against the configured trust roots (ECASE_SIGNING_TRUST_ROOTS):
every signature intact and trusted, and nothing appended to the file after the last one. Each
is listed in signing order with its role, signer, position and time; ``--roles`` also requires
exactly those roles' signatures (a copy cut back to an earlier revision lacks the later ones).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.signing.roles import SignatureRole
from cases.signing.verify import verify_pdf


class Command(BaseCommand):
    help = "Verify the signatures of a signed act's PDF: prints VALID (exit 0) or INVALID (exit 1)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--roles",
            help=f"comma-separated roles the act must be signed in, in order ({', '.join(SignatureRole.values)})",
        )

    def handle(self, *args, file: Path, roles: str | None = None, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from error
        expected = [role.strip() for role in roles.split(",") if role.strip()] if roles else None
        unknown = [role for role in expected or [] if role not in SignatureRole.values]
        if unknown:
            raise CommandError(f"unknown roles: {', '.join(unknown)}")
        result = verify_pdf(data, expected_roles=expected)
        self.stdout.write(f"Signer: {result.signer or '—'}")
        self.stdout.write(f"Signing time: {result.signing_time.isoformat() if result.signing_time else '—'}")
        for number, check in enumerate(result.signatures, start=1):
            who = ", ".join(part for part in (check.signer, check.position) if part) or "—"
            when = check.signed_at.isoformat() if check.signed_at else "—"
            state = "valid" if check.valid else "INVALID"
            scope = "whole file" if check.covers_whole_file else f"up to revision {check.revision}"
            self.stdout.write(f"{number}. {check.label}: {who}, {when}, {state} (covers {scope})")
        for problem in result.problems:
            self.stdout.write(f"Problem: {problem}")
        self.stdout.write("VALID" if result.valid else "INVALID")
        if not result.valid:
            raise SystemExit(1)
