"""Database triggers that refuse writes even for code that bypasses the ORM (used by migrations).

The models refuse these writes too; the triggers make the rule hold for raw SQL, other
clients and future code. PostgreSQL is the production database, SQLite the embedded default.
("Trigger" is the word for these database rules throughout; a request's scope check and a
workflow step's precondition are other things with other names.)

A trigger's ``operation`` is one statement kind (``DELETE``, ``UPDATE``, ``INSERT``) or several
joined by ``OR`` (``"UPDATE OR DELETE"``): PostgreSQL gets one trigger for all of them,
SQLite (one event per trigger) one trigger per kind, named ``<name>_<kind>``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import migrations


def _identifier(name: str) -> str:
    """``name`` if PostgreSQL keeps it whole (63 bytes), else a shortened, still unique form."""
    if len(name.encode()) <= 63:
        return name
    return f"{name[:50]}_{hashlib.sha256(name.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class RowTrigger:
    """Refuse ``operation`` (DELETE, UPDATE or INSERT) on ``table`` when ``when`` (SQL on OLD/NEW) holds."""

    name: str
    table: str
    operation: str
    message: str
    when: str = ""

    @property
    def operations(self) -> list[str]:
        return [op.strip().upper() for op in self.operation.split(" OR ")]

    def trigger_names(self, vendor: str) -> list[str]:
        """The names of the database triggers this creates on ``vendor`` (one per kind on SQLite)."""
        if vendor == "sqlite" and len(self.operations) > 1:
            return [f"{self.name}_{op.lower()}" for op in self.operations]
        return [_identifier(self.name)]

    def create_sql(self, vendor: str) -> list[str]:
        message = self.message.replace("'", "''")
        if vendor == "postgresql":
            # PostgreSQL allows no subquery in a trigger's WHEN: the condition goes in the body.
            condition = self.when or "TRUE"
            name = _identifier(self.name)
            return [
                f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      IF {condition} THEN
                        RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
                      END IF;
                      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                      RETURN NEW;
                    END $$;""",
                f"CREATE TRIGGER {name} BEFORE {' OR '.join(self.operations)} ON {self.table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}();",
            ]
        if vendor == "sqlite":
            when = f"WHEN ({self.when})" if self.when else ""
            return [
                f"CREATE TRIGGER {name} BEFORE {op} ON {self.table} {when} BEGIN SELECT RAISE(ABORT, '{message}'); END;"
                for name, op in zip(self.trigger_names(vendor), self.operations)
            ]
        raise NotImplementedError(f"no trigger dialect for {vendor}")

    def drop_sql(self, vendor: str) -> list[str]:
        if vendor == "postgresql":
            name = _identifier(self.name)
            return [f"DROP TRIGGER IF EXISTS {name} ON {self.table};", f"DROP FUNCTION IF EXISTS {name}();"]
        return [f"DROP TRIGGER IF EXISTS {name};" for name in self.trigger_names(vendor)]


def no_delete(table: str) -> RowTrigger:
    return RowTrigger(f"{table}_no_delete", table, "DELETE", f"{table}: case material is withdrawn, never deleted")


def append_only(table: str, message: str | None = None) -> RowTrigger:
    """Rows of ``table`` are written once: UPDATE and DELETE are refused (history, audit trail)."""
    return RowTrigger(
        f"{table}_append_only",
        table,
        "UPDATE OR DELETE",
        message or f"{table} is append-only: its rows are never changed or deleted",
    )


def install_triggers(*triggers: RowTrigger) -> migrations.RunPython:
    """A migration operation that creates the triggers on the current database (and drops them on reverse)."""

    def forward(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for trigger in triggers:
            for statement in trigger.create_sql(vendor):
                schema_editor.execute(statement)

    def backward(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for trigger in triggers:
            for statement in trigger.drop_sql(vendor):
                schema_editor.execute(statement)

    return migrations.RunPython(forward, backward)


def existing_triggers(connection) -> dict[tuple[str, str], bool]:
    """{(table, trigger name): enabled} for every user trigger of the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname, t.tgenabled <> 'D' FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
            )
            return {(table, name): enabled for table, name, enabled in cursor.fetchall()}
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            return dict.fromkeys(cursor.fetchall(), True)
    return {}


def ensure_triggers(connection, triggers) -> list[RowTrigger]:
    """Create the ``triggers`` that the database lacks (idempotent); return those created.

    A trigger that exists but is disabled is left alone here: re-enabling it is a decision for
    a person, and ``verify_audit`` reports it.
    """
    if connection.vendor not in ("postgresql", "sqlite"):
        return []
    present = existing_triggers(connection)
    created = []
    with connection.cursor() as cursor:
        for trigger in triggers:
            names = trigger.trigger_names(connection.vendor)
            if all((trigger.table, name) in present for name in names):
                continue
            for statement in trigger.drop_sql(connection.vendor) + trigger.create_sql(connection.vendor):
                cursor.execute(statement)
            created.append(trigger)
    return created
