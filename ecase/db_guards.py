"""Database-level guards that hold even for code that bypasses the ORM (used by migrations).

The models refuse these writes too; the triggers make the rule hold for raw SQL, other
clients and future code. PostgreSQL is the production database, SQLite the embedded default.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import migrations


@dataclass(frozen=True)
class Guard:
    """Refuse ``operation`` (DELETE, UPDATE or INSERT) on ``table`` when ``when`` (SQL on OLD/NEW) holds."""

    name: str
    table: str
    operation: str
    message: str
    when: str = ""

    def create_sql(self, vendor: str) -> list[str]:
        message = self.message.replace("'", "''")
        if vendor == "postgresql":
            # PostgreSQL allows no subquery in a trigger's WHEN: the condition goes in the body.
            condition = self.when or "TRUE"
            return [
                f"""CREATE OR REPLACE FUNCTION {self.name}() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      IF {condition} THEN
                        RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
                      END IF;
                      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                      RETURN NEW;
                    END $$;""",
                f"CREATE TRIGGER {self.name} BEFORE {self.operation} ON {self.table} "
                f"FOR EACH ROW EXECUTE FUNCTION {self.name}();",
            ]
        if vendor == "sqlite":
            when = f"WHEN ({self.when})" if self.when else ""
            return [f"CREATE TRIGGER {self.name} BEFORE {self.operation} ON {self.table} {when} "
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END;"]
        raise NotImplementedError(f"no trigger dialect for {vendor}")

    def drop_sql(self, vendor: str) -> list[str]:
        if vendor == "postgresql":
            return [f"DROP TRIGGER IF EXISTS {self.name} ON {self.table};", f"DROP FUNCTION IF EXISTS {self.name}();"]
        return [f"DROP TRIGGER IF EXISTS {self.name};"]


def no_delete(table: str) -> Guard:
    return Guard(f"{table}_no_delete", table, "DELETE", f"{table}: case material is withdrawn, never deleted")


def install_guards(*guards: Guard) -> migrations.RunPython:
    """A migration operation that creates the triggers on the current database (and drops them on reverse)."""

    def forward(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for guard in guards:
            for statement in guard.create_sql(vendor):
                schema_editor.execute(statement)

    def backward(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for guard in guards:
            for statement in guard.drop_sql(vendor):
                schema_editor.execute(statement)

    return migrations.RunPython(forward, backward)
