"""manage.py audit_db_role ROLE: the GRANTs that let ROLE run the application but never rewrite the trail.

Print, review, and run as the owner of the tables (the role that runs migrations), after every
``migrate``::

    python manage.py audit_db_role ecase_app | psql "$OWNER_DATABASE_URL"

The application role gets ordinary read/write rights on every table except that on the audit
events and on every history table it may only SELECT and INSERT, and on the chain heads only
SELECT, INSERT and UPDATE (the triggers let a head move forward only). It owns nothing, so it
cannot disable a trigger, and it is no superuser, so it cannot switch triggers off for its
session either.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from audit.triggers import history_tables

APPEND_ONLY_AUDIT = ("audit_auditevent",)
HEADS = ("audit_chainhead",)


def grant_statements(role: str) -> list[str]:
    quote = connection.ops.quote_name
    tables = sorted(connection.introspection.table_names())
    protected = set(APPEND_ONLY_AUDIT) | {t.table for t in history_tables()}
    statements = [f"REVOKE ALL ON {quote(t)} FROM {role};" for t in tables]
    for table in tables:
        if table in protected:
            rights = "SELECT, INSERT"
        elif table in HEADS:
            rights = "SELECT, INSERT, UPDATE"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f"GRANT {rights} ON {quote(table)} TO {role};")
    statements.append(
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {connection.ops.quote_name('public')} TO {role};"
    )
    return statements


class Command(BaseCommand):
    help = "Print the SQL that grants ROLE what the application needs, and no UPDATE/DELETE on audit and history rows."

    def add_arguments(self, parser):
        parser.add_argument("role")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("database roles are a PostgreSQL matter")
        if not role.replace("_", "").isalnum():
            raise CommandError("a role name of letters, digits and underscores, please")
        self.stdout.write("\n".join(grant_statements(role)))
