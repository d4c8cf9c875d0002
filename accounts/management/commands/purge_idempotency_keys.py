"""Delete Idempotency-Key records older than ECASE_IDEMPOTENCY_HOURS (also run hourly by Celery beat).

They only let a client replay the answer to a write it retries; the write itself stays in its
case and audit trail. No case data is deleted.
"""

from django.core.management.base import BaseCommand

from ...idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete expired Idempotency-Key records (a response cache, not case data)."

    def handle(self, *args, **options):
        self.stdout.write(f"{purge_expired()} expired idempotency records deleted")
