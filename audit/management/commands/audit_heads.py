"""manage.py audit_heads [--output FILE]: the chain heads, to be kept outside the database."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from audit.heads import heads_document


class Command(BaseCommand):
    help = (
        "Print (or write) the head of every audit chain as JSON; keep copies where the database's owners cannot reach."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="write to this file instead of standard output")

    def handle(self, *args, output=None, **options):
        text = json.dumps(heads_document(), indent=1, sort_keys=True) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as stream:
                stream.write(text)
            self.stderr.write(f"{len(json.loads(text)['heads'])} chain heads written to {output}")
        else:
            self.stdout.write(text, ending="")
