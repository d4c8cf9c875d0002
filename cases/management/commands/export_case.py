"""manage.py export_case NUMBER --as USERNAME [-o FILE.zip]: the case file for a prosecutor or a court."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from cases.export import ExportError, ExportKeyUnavailable, export_case
from cases.models import Case
from ecase.errors import NotAllowed, OutOfScope


class Command(BaseCommand):
    help = "Export a case file (signed acts, evidence files, history, audit head, signed manifest) as a ZIP."

    def add_arguments(self, parser):
        parser.add_argument("number", help="the case's registration number")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="who exports: the lead investigator, a supervisor or the prosecutor of the case",
        )
        parser.add_argument("--output", "-o", help="the ZIP to write (default: <number>.zip)")

    def handle(self, *args, number, username, output=None, **options):
        actor = User.objects.filter(username=username, is_active=True).first()
        case_id = Case.objects.filter(registration_number=number).values_list("pk", flat=True).first()
        if actor is None or case_id is None:
            raise CommandError("no such active user or case")
        path = Path(output or f"{number}.zip")
        try:
            with open(path, "xb") as stream:
                result = export_case(case_id=case_id, actor=actor, output=stream)
        except FileExistsError:
            raise CommandError(f"{path} exists already") from None
        except (OutOfScope, NotAllowed, ExportError, ExportKeyUnavailable) as error:
            path.unlink(missing_ok=True)
            raise CommandError(f"not exported: {error}") from error
        self.stdout.write(
            f"{path}: case {result.case_number}, {result.members} members, {result.bytes} bytes; "
            f"manifest SHA-256 {result.manifest_sha256}"
        )
