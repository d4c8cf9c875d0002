from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from . import receivers
        from .triggers import install_history_triggers

        # After every migrate (whichever app it touched) the history tables get their triggers.
        post_migrate.connect(install_history_triggers, sender=self, dispatch_uid="audit_history_triggers")
        # What ecase's infrastructure (which imports no app) announces for the trail: a query timeout.
        receivers.connect()
