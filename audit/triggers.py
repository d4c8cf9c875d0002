"""The database triggers that keep the audit trail and every history table append-only.

* ``audit_auditevent``: no UPDATE, no DELETE (migration 0003).
* ``audit_chainhead``: no DELETE; a head only moves one link forward, onto an event that exists;
  a new head starts empty (migration 0003). So the head rows cannot be rolled back to hide a
  cut tail either.
* every simple-history table (``Historical*`` and their many-to-many tables), whichever app
  owns it: no UPDATE, no DELETE. These tables belong to other apps and appear whenever a
  model gains history, so the triggers are not migrations of theirs: ``install_history_triggers``
  runs after every ``migrate`` (post_migrate) and creates the ones missing.

TRUNCATE fires no row trigger: the application's database role must not hold TRUNCATE (nor own
the tables); see docs/AUDIT.md. ``verify_audit`` reports a missing or disabled trigger.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.db import connections

from ecase.db_triggers import RowTrigger, append_only, ensure_triggers, existing_triggers

from .models import GENESIS_HASH

AUDIT_TRIGGERS = (
    append_only("audit_auditevent", "the audit trail is append-only: events are never changed or deleted"),
    RowTrigger("audit_chainhead_no_delete", "audit_chainhead", "DELETE", "audit chain heads are never deleted"),
    RowTrigger(
        "audit_chainhead_advances",
        "audit_chainhead",
        "UPDATE",
        "an audit chain head only moves one event forward",
        when="NEW.chain <> OLD.chain OR NEW.seq <> OLD.seq + 1 OR NOT EXISTS (SELECT 1 FROM audit_auditevent e "
        "WHERE e.chain = NEW.chain AND e.seq = NEW.seq AND e.hash = NEW.hash)",
    ),
    RowTrigger(
        "audit_chainhead_starts_empty",
        "audit_chainhead",
        "INSERT",
        "a new audit chain starts empty",
        when=f"NEW.seq <> 0 OR NEW.hash <> '{GENESIS_HASH}'",
    ),
)


@dataclass(frozen=True)
class HistoryTable:
    """A table of simple-history rows: its name, primary key column and the model behind it."""

    table: str
    pk: str
    label: str
    columns: tuple[str, ...]


def history_tables(apps=global_apps) -> list[HistoryTable]:
    """Every simple-history table of the project, found by shape (audit knows no app by name).

    A historical model has ``history_id``, ``history_type`` and ``history_date``; the table of a
    historical many-to-many link has ``m2m_history_id`` and a ``history`` key to its parent row.
    """
    found = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        if {"history_id", "history_type", "history_date"} <= names:
            pk = "history_id"
        elif {"m2m_history_id", "history"} <= names:
            pk = "m2m_history_id"
        else:
            continue
        found.append(
            HistoryTable(
                model._meta.db_table,
                model._meta.get_field(pk).column,
                model._meta.label_lower,
                tuple(f.column for f in model._meta.concrete_fields),
            )
        )
    return sorted(found, key=lambda t: t.table)


def history_triggers(apps=global_apps) -> list[RowTrigger]:
    return [
        append_only(t.table, f"{t.table} is history: its rows are never changed or deleted")
        for t in history_tables(apps)
    ]


def install_history_triggers(sender=None, *, using: str = "default", apps=global_apps, **kwargs) -> list[RowTrigger]:
    """post_migrate receiver: create the missing append-only triggers of the history tables."""
    connection = connections[using]
    present = set(connection.introspection.table_names())
    return ensure_triggers(connection, [g for g in history_triggers() if g.table in present])


def missing_triggers(using: str = "default") -> list[str]:
    """Triggers that should protect the audit trail and the history but are absent or disabled."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return []
    present = existing_triggers(connection)
    problems = []
    for trigger in (*AUDIT_TRIGGERS, *history_triggers()):
        for name in trigger.trigger_names(connection.vendor):
            state = present.get((trigger.table, name))
            if state is None:
                problems.append(f"trigger {name} on {trigger.table} is missing")
            elif not state:
                problems.append(f"trigger {name} on {trigger.table} is disabled")
    return problems
