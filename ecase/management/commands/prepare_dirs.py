"""Make the working folders and the development secret key of this checkout (ecase/local_files.py).

    manage.py prepare_dirs      idempotent; `make migrate` (and so `make run`) runs it before migrating

Nothing else writes them: importing the settings never touches the disk.
"""

from django.core.management.base import BaseCommand

from ecase.local_files import prepare


class Command(BaseCommand):
    help = "Make the checkout's folders under ECASE_VAR_DIR (SQLite, static, folder broker) and its development key."
    # Before the first migrate on SQLite the database cannot be opened yet: checks that query it must not run.
    requires_system_checks: list[str] = []

    def handle(self, *args, **options) -> None:
        made = prepare()
        for path in made:
            self.stdout.write(f"made {path}")
        if not made:
            self.stdout.write("nothing to make: every folder and the key are in place")
