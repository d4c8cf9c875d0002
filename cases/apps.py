from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Criminal cases"

    def ready(self) -> None:
        from . import access  # noqa: F401  (re-derives a user's case grants when their role changes)
