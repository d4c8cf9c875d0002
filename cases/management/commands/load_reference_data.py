"""Re-load cases/data/*.json into the reference tables (after an edit of the shipped data)."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from cases.reference_data import load


class Command(BaseCommand):
    help = (
        "Upsert the shipped reference data (articles, terms, act types); adds new sanction versions, "
        "never rewrites a stored one; deletes nothing."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = load(apps)
        conflicts = counts["conflicts"]
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items() if name != "conflicts"))
        for conflict in conflicts:
            # A stored version is history cases may rely on: the file is wrong or needs a new version.
            self.stderr.write(
                f"kept the stored sanction of {conflict}: the shipped figures differ; "
                "ship a change as a new version with its date"
            )
