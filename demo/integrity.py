"""Foreign-key checks after a bulk load that skipped the row-by-row checks.

With ``session_replication_role = replica`` PostgreSQL does not fire the foreign-key triggers
(one lookup and one row lock in the parent per inserted row — ~70% of the database's work in a
bulk load). The load then proves the same thing afterwards with one anti-join per foreign key
over the rows it added: every reference must find its row.
"""

from __future__ import annotations

from django.db import connection, models


def tables_of(written: list[type[models.Model]]) -> list[type[models.Model]]:
    """The models, their historical models and every m2m ``through`` model among them."""
    result: list[type[models.Model]] = []
    for model in written:
        result.append(model)
        history = getattr(model, "history", None)
        if history is not None and hasattr(history, "model"):
            result.append(history.model)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through is not None:  # always set once the app registry is ready
                result.append(through)
    return list(dict.fromkeys(result))


def high_water_marks(written: list[type[models.Model]]) -> dict[type[models.Model], int]:
    """The largest primary key of each table before the load (rows above it are the new ones)."""
    marks = {}
    with connection.cursor() as cursor:
        for model in tables_of(written):
            pk = connection.ops.quote_name(model._meta.pk.column)
            cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {connection.ops.quote_name(model._meta.db_table)}")
            marks[model] = cursor.fetchone()[0]
    return marks


def foreign_keys(model) -> list[models.ForeignKey]:
    # getattr: every ForeignKey has db_constraint, but django-stubs does not declare it.
    return [
        f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey) and getattr(f, "db_constraint", True)
    ]


def verify_foreign_keys(marks: dict[type[models.Model], int]) -> tuple[int, list[str]]:
    """(number of foreign keys checked, one line per foreign key with dangling references)."""
    quote = connection.ops.quote_name
    problems, checked = [], 0
    with connection.cursor() as cursor:
        for model, since in marks.items():
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            for field in foreign_keys(model):
                parent = field.related_model
                assert not isinstance(parent, str), "a lazy reference is resolved once the registry is ready"
                column = quote(field.column)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {table} c WHERE c.{pk} > %s AND c.{column} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {quote(parent._meta.db_table)} p WHERE p.{quote(field.target_field.column)} = c.{column})",
                    [since],
                )
                checked += 1
                dangling = cursor.fetchone()[0]
                if dangling:
                    problems.append(
                        f"{model._meta.db_table}.{field.column}: {dangling} rows point to no "
                        f"{parent._meta.db_table} row"
                    )
    return checked, problems


def is_superuser() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])
