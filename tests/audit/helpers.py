"""Tools of the tamper tests: an attacker who owns the database (triggers off), raw SQL, verification."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection

from audit.models import AuditEvent


@contextmanager
def database_owner():
    """What someone holding the database's owner or superuser rights can do: write past the triggers.

    (The application's own role cannot: it may not change session_replication_role or disable
    triggers, which needs ownership of the table; see docs/AUDIT.md.)
    """
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = origin")


def sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def chain_rows(chain: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(chain=chain).order_by("seq"))
