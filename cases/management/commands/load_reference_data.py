"""Re-load cases/data/*.json into the reference tables (after an edit of the shipped data)."""
from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from cases.reference_data import load


class Command(BaseCommand):
    help = "Upsert the shipped reference data (articles, terms, act types); deletes nothing."

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = load(apps)
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
