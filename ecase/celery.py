"""The Celery application. Workers render and sign PDFs of approved acts (DESIGN §5)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecase.settings")

app = Celery("ecase")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
