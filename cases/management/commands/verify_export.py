"""manage.py verify_export FILE.zip [--trust CERT.pem]: VALID (exit 0) or INVALID naming the member (exit 1).

With --trust the signatures must chain to one of the certificates given, and to nothing else (not
this installation's own export key): a recipient checks against the certificate the police publish.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.export import verify_export
from cases.export.signature import identity


class Command(BaseCommand):
    help = "Check every SHA-256 of a case-file export and the signatures of its manifest."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--trust",
            action="append",
            default=[],
            metavar="CERT",
            help="a certificate (PEM or DER) to trust; repeatable. Given, only these are trusted; "
            "omitted, this installation's export certificate is",
        )

    def handle(self, *args, file, trust=(), **options):
        try:
            trusted = [Path(p).read_bytes() for p in trust]
        except OSError as error:
            raise CommandError(str(error)) from error
        for path, pem in zip(trust, trusted):
            try:
                identity(pem)
            except Exception as error:  # asn1crypto raises ValueError, TypeError and its own errors alike
                raise CommandError(f"--trust {path}: not a certificate (PEM or DER)") from error
        check = verify_export(file, trusted=trusted)
        if check.valid:
            self.stdout.write(
                f"VALID: {file}: case {check.case_number}, {check.members} members match the manifest; "
                f"signed by {check.signer} (certificate SHA-256 {check.fingerprint})"
            )
            return
        self.stderr.write(f"INVALID: {file}")
        for member, message in check.problems:
            self.stderr.write(f"  {member}: {message}")
        raise SystemExit(1)
