"""manage.py verify_audit [--case NUMBER] [--heads FILE …]: exit 0 when the trail is intact, 1 otherwise."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from audit.choices import EventType
from audit.heads import load_heads, merge_heads
from audit.models import AuditEvent, chain_for_case
from audit.verify import verify


def chain_of_case(number: str) -> str:
    """The chain of the case registered as ``number`` (from its registration event), or of case id ``number``.

    audit knows no case table: the registration number is found in the trail itself.
    """
    registered = (
        AuditEvent.objects.filter(event=EventType.CASE_REGISTERED, data__number=number)
        .values_list("case_id", flat=True)
        .first()
    )
    if registered is not None:
        return chain_for_case(registered)
    if number.isdigit() and AuditEvent.objects.filter(chain=chain_for_case(int(number))).exists():
        return chain_for_case(int(number))
    raise CommandError(f"no audit chain for case {number!r} (neither a registration number nor a case id in the trail)")


class Command(BaseCommand):
    help = (
        "Walk the audit hash chains (and the sealed history tables) and name the first broken event. "
        "Exit status 0: intact; 1: broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--case", help="only this case's chain: its registration number (or its id)")
        parser.add_argument(
            "--heads",
            action="append",
            default=[],
            metavar="FILE",
            help="heads exported earlier (audit_heads, or audit/head.json of a case-file export); repeatable",
        )
        parser.add_argument("--no-history", action="store_true", help="skip the sealed history tables")

    def handle(self, *args, case=None, heads=(), no_history=False, **options):
        # "--case ''" (an unset shell variable) must not quietly widen to every chain and exit 0.
        if case is not None and not case.strip():
            raise CommandError("--case needs a registration number or a case id; omit it to check every chain")
        external = []
        for path in heads:
            try:
                with open(path, encoding="utf-8") as stream:
                    external.append(load_heads(stream))
            except (OSError, ValueError, KeyError) as error:
                raise CommandError(f"{path}: {error}") from error
        chain = chain_of_case(case.strip()) if case is not None else None
        report = verify(chain=chain, external_heads=merge_heads(*external), history=not no_history)
        if report.ok:
            self.stdout.write(f"audit trail intact: {report.summary()}")
            return
        first = report.findings[0]
        self.stderr.write(f"audit trail BROKEN: {len(report.findings)} problem(s); first broken: {first}")
        for finding in report.findings[:100]:
            self.stderr.write(f"  {finding}")
        self.stderr.write(report.summary())
        raise SystemExit(1)
