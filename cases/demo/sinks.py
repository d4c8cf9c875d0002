"""Where bulk rows go: Django's bulk_create (any database) or PostgreSQL COPY (fast), same rows either way.

Both sinks take unsaved model instances, give them primary keys, write them, and for models
with simple-history write one ``+`` historical row per instance, named after the instance's
``_history_user`` / ``_history_date`` / ``_change_reason`` (as ``bulk_history_create`` does).
Many-to-many links are written to the ``through`` table and to simple-history's historical
m2m table, attached to the parent's historical row.

``OrmSink`` goes through ``CaseDataQuerySet.bulk_create(objs, actor=...)``, the sanctioned path.
``CopySink`` exists because that path costs ~45 µs of Python per row, too slow for a million
cases on two cores: it takes ids from the tables' sequences and streams text rows with COPY,
building the historical rows from the instances' values without instantiating historical models.
The column lists are read from the models' ``_meta``, so a field added later is written too.
"""
from __future__ import annotations

import io
import json
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable

from django.db import connection, models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ecase.history import CaseDataQuerySet


def has_history(model) -> bool:
    return hasattr(model, "history") and hasattr(model.history, "model")


def m2m_parts(model, field_name: str):
    """(through model, source attname, target attname, historical m2m model) of ``model.field_name``."""
    m2m = model._meta.get_field(field_name)
    through = m2m.remote_field.through
    source, target = f"{m2m.m2m_field_name()}_id", f"{m2m.m2m_reverse_field_name()}_id"
    return through, source, target, HistoricalRecords.m2m_models.get(m2m)


class OrmSink:
    """Django's bulk_create; history through CaseDataQuerySet.bulk_create."""

    name = "orm"

    def __init__(self, *, actor, reason: str, rows: Counter):
        self.actor, self.reason, self.rows = actor, reason, rows

    def insert(self, model, objs: list, *, want_history_ids: bool = False) -> dict[int, int]:
        if not objs:
            return {}
        manager = model._default_manager
        if isinstance(manager.get_queryset(), CaseDataQuerySet):
            manager.bulk_create(objs, actor=self.actor, reason=self.reason)
            self.rows[model.history.model._meta.label] += len(objs)
        else:
            manager.bulk_create(objs)
        self.rows[model._meta.label] += len(objs)
        if not want_history_ids:
            return {}
        pks = [o.pk for o in objs]
        return dict(model.history.model.objects.filter(id__in=pks).order_by("history_id").values_list("id", "history_id"))

    def link(self, model, field_name: str, pairs: list[tuple[int, int]], history_ids: dict[int, int]) -> None:
        if not pairs:
            return
        through, source, target, historical = m2m_parts(model, field_name)
        links = through.objects.bulk_create([through(**{source: a, target: b}) for a, b in pairs])
        self.rows[through._meta.label] += len(links)
        if historical is not None:
            historical.objects.bulk_create([
                historical(history_id=history_ids[getattr(link, source)], id=link.pk,
                           **{source: getattr(link, source), target: getattr(link, target)})
                for link in links
            ])
            self.rows[historical._meta.label] += len(links)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _json_text(value) -> str:
    return "\\N" if value is None else json.dumps(value, ensure_ascii=False).translate(_ESCAPES)


def copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


class _Table:
    """Columns of one model's table for COPY, with the per-row value getters."""

    def __init__(self, model, *, with_pk: bool = True):
        self.model = model
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.fields = fields
        self.columns = [f.column for f in fields]
        self.attnames = [f.attname for f in fields]
        json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
        self.converters = [_json_text if a in json_fields else copy_text for a in self.attnames]
        self.auto_now = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]

    def sql(self) -> str:
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        return f"COPY {connection.ops.quote_name(self.model._meta.db_table)} ({cols}) FROM STDIN"


class CopySink:
    """PostgreSQL COPY with ids taken from the tables' sequences."""

    name = "copy"

    def __init__(self, *, actor, reason: str, rows: Counter):
        if connection.vendor != "postgresql":
            raise RuntimeError("CopySink needs PostgreSQL")
        self.actor, self.reason, self.rows = actor, reason, rows
        self._tables: dict = {}
        self._sequences: dict = {}

    def _table(self, model, with_pk: bool = True) -> _Table:
        key = (model, with_pk)
        if key not in self._tables:
            self._tables[key] = _Table(model, with_pk=with_pk)
        return self._tables[key]

    def _ids(self, model, column: str, n: int) -> list[int]:
        key = (model._meta.db_table, column)
        if key not in self._sequences:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, column])
                self._sequences[key] = cursor.fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [self._sequences[key], n])
            return [row[0] for row in cursor.fetchall()]

    def _copy(self, table: _Table, rows: Iterable[list]) -> None:
        buffer = io.StringIO()
        write = buffer.write
        for row in rows:
            write("\t".join(row))
            write("\n")
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(table.sql(), buffer)

    def insert(self, model, objs: list, *, want_history_ids: bool = False) -> dict[int, int]:
        if not objs:
            return {}
        pk = model._meta.pk
        for obj, new_id in zip(objs, self._ids(model, pk.column, len(objs))):
            setattr(obj, pk.attname, new_id)
            obj._state.adding, obj._state.db = False, connection.alias
        table = self._table(model)
        now = timezone.now()
        for field in table.auto_now:
            for obj in objs:
                if getattr(obj, field.attname) is None or field.auto_now:
                    setattr(obj, field.attname, now)
        pairs = list(zip(table.attnames, table.converters))
        self._copy(table, ([convert(getattr(obj, a)) for a, convert in pairs] for obj in objs))
        self.rows[model._meta.label] += len(objs)
        if not has_history(model):
            return {}
        return self._history(model, objs, now, want_history_ids)

    def _history(self, model, objs: list, now: datetime, want_ids: bool) -> dict[int, int]:
        historical = model.history.model
        table = self._table(historical, with_pk=want_ids)
        ids = self._ids(historical, "history_id", len(objs)) if want_ids else [None] * len(objs)
        default_user = self.actor.pk if self.actor is not None else None

        def extra(obj, history_id):
            user = getattr(obj, "_history_user", None)
            return {
                "history_id": history_id,
                "history_date": getattr(obj, "_history_date", None) or now,
                "history_type": "+",
                "history_user_id": user.pk if user is not None else default_user,
                "history_change_reason": getattr(obj, "_change_reason", None) or self.reason,
            }

        pairs = list(zip(table.attnames, table.converters))

        def rows():
            for obj, history_id in zip(objs, ids):
                values = extra(obj, history_id)
                yield [convert(values[a] if a in values else getattr(obj, a)) for a, convert in pairs]

        self._copy(table, rows())
        self.rows[historical._meta.label] += len(objs)
        return {obj.pk: history_id for obj, history_id in zip(objs, ids)} if want_ids else {}

    def link(self, model, field_name: str, pairs: list[tuple[int, int]], history_ids: dict[int, int]) -> None:
        if not pairs:
            return
        through, source, target, historical = m2m_parts(model, field_name)
        link_ids = self._ids(through, through._meta.pk.column, len(pairs))
        table = self._table(through)
        by_name = {"id": None, source: 0, target: 1}
        assert set(table.attnames) <= set(by_name), f"unexpected columns in {through._meta.db_table}"
        self._copy(table, ([str(i) if a == "id" else str(pair[by_name[a]]) for a in table.attnames]
                           for i, pair in zip(link_ids, pairs)))
        self.rows[through._meta.label] += len(pairs)
        if historical is None:
            return
        htable = self._table(historical, with_pk=False)  # m2m_history_id from its sequence

        def value(attname, link_id, pair):
            if attname == "id":
                return link_id
            if attname == "history_id":
                return history_ids[pair[0]]
            return pair[by_name[attname]]

        self._copy(htable, ([str(value(a, i, pair)) for a in htable.attnames] for i, pair in zip(link_ids, pairs)))
        self.rows[historical._meta.label] += len(pairs)


def resolve(method: str) -> str:
    """"auto" is COPY on PostgreSQL and bulk_create elsewhere."""
    if method == "auto":
        return "copy" if connection.vendor == "postgresql" else "orm"
    if method not in ("orm", "copy"):
        raise ValueError(f"unknown bulk method {method!r}")
    return method


def sink_for(method: str, **kwargs):
    return {"orm": OrmSink, "copy": CopySink}[resolve(method)](**kwargs)
