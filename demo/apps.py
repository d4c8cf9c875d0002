from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and benchmark data (``manage.py seed_demo``): tooling, not domain; no app imports it."""

    name = "demo"
    verbose_name = "Demo data"
