"""ecase project package: settings, URL map, Celery app and the shared base pieces."""

from .celery import app as celery_app

__all__ = ("celery_app",)
