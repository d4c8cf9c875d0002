from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from .triggers import install_history_triggers

        # After every migrate (whichever app it touched) the history tables get their triggers.
        post_migrate.connect(install_history_triggers, sender=self, dispatch_uid="audit_history_triggers")
