"""manage.py verify_act FILE.pdf: the signer, the signing time and VALID or INVALID (exit 0 / 1).

The signature is checked against the configured trust roots (ECASE_SIGNING_TRUST_ROOTS):
every signature intact and trusted, and nothing appended to the file after the last one.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.signing.verify import verify_pdf


class Command(BaseCommand):
    help = "Verify the signature of a signed act's PDF: prints VALID (exit 0) or INVALID (exit 1)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from error
        result = verify_pdf(data)
        self.stdout.write(f"Signer: {result.signer or '—'}")
        self.stdout.write(f"Signing time: {result.signing_time.isoformat() if result.signing_time else '—'}")
        for problem in result.problems:
            self.stdout.write(f"Problem: {problem}")
        self.stdout.write("VALID" if result.valid else "INVALID")
        if not result.valid:
            raise SystemExit(1)
