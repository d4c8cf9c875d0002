from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Criminal cases"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import access  # noqa: F401  (re-derives a user's case grants when their role changes)
        from .search_text import register_sqlite_fold

        # The plot search on SQLite folds Cyrillic in SQL through this function (cases/search_text.py).
        connection_created.connect(register_sqlite_fold, dispatch_uid="cases.search_text.register_sqlite_fold")
