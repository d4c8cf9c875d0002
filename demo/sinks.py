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
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

from django.db import connection, models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ecase.history import CaseDataQuerySet

M = TypeVar("M", bound=models.Model)


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
        return dict(
            model.history.model.objects.filter(id__in=pks).order_by("history_id").values_list("id", "history_id")
        )

    def insert_plain(self, model, attnames: tuple[str, ...], rows: list[tuple]) -> None:
        """Rows of a model without history (guardian grants), given as value tuples; ids from the sequence."""
        if rows:
            model._default_manager.bulk_create([model(**dict(zip(attnames, row))) for row in rows])
            self.rows[model._meta.label] += len(rows)

    def link(self, model, field_name: str, pairs: list[tuple[int, int]], history_ids: dict[int, int]) -> None:
        if not pairs:
            return
        through, source, target, historical = m2m_parts(model, field_name)
        links = through.objects.bulk_create([through(**{source: a, target: b}) for a, b in pairs])
        self.rows[through._meta.label] += len(links)
        if historical is not None:
            historical.objects.bulk_create(
                [
                    historical(
                        history_id=history_ids[getattr(link, source)],
                        id=link.pk,
                        **{source: getattr(link, source), target: getattr(link, target)},
                    )
                    for link in links
                ]
            )
            self.rows[historical._meta.label] += len(links)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def _str_text(value) -> str:
    if value is None:
        return NULL
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def _int_text(value) -> str:
    return NULL if value is None else str(value)


def _iso_text(value) -> str:
    return NULL if value is None else value.isoformat()


def _bool_text(value) -> str:
    return NULL if value is None else ("t" if value else "f")


def _json_text(value) -> str:
    return NULL if value is None else json.dumps(value, ensure_ascii=False).translate(_ESCAPES)


def copy_text(value) -> str:
    """One value of any type in PostgreSQL's COPY text format."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return _bool_text(value)
    if isinstance(value, str):
        return _str_text(value)
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return _json_text(value)
    return _str_text(str(value))


_CONVERTERS = {
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveSmallIntegerField",
            "PositiveBigIntegerField",
            "ForeignKey",
            "OneToOneField",
        ),
        _int_text,
    ),
    **dict.fromkeys(("CharField", "TextField", "SlugField", "EmailField"), _str_text),
    **dict.fromkeys(("DateTimeField", "DateField"), _iso_text),
    "BooleanField": _bool_text,
    "JSONField": _json_text,
}


def _converter(field):
    if isinstance(field, models.JSONField):
        return _json_text
    return _CONVERTERS.get(field.get_internal_type(), copy_text)


class _Table:
    """Columns of one model's table for COPY, with a text converter per column."""

    def __init__(self, model, *, with_pk: bool = True):
        self.model = model
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.columns = [f.column for f in fields]
        self.attnames = [f.attname for f in fields]
        self.converters = [_converter(f) for f in fields]
        self.auto_now = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        self.sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({cols}) FROM STDIN"


class Factory(Generic[M]):
    """Unsaved instances of ``model`` without Model.__init__'s per-field work (defaults applied the same)."""

    def __init__(self, model: type[M]):
        self.model = model
        self.static, self.dynamic = {}, []
        self.known = {f.attname for f in model._meta.concrete_fields}
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                self.dynamic.append((f.attname, f.default))
            else:
                self.static[f.attname] = f.get_default()

    def __call__(self, **values) -> M:
        if not values.keys() <= self.known:
            raise TypeError(f"{self.model.__name__} has no field(s) {sorted(values.keys() - self.known)}")
        obj = self.model.__new__(self.model)
        obj._state = models.base.ModelState()
        data = obj.__dict__
        data.update(self.static)
        for name, make in self.dynamic:
            data[name] = make()
        data.update(values)
        return obj


_SEQUENCES: dict[tuple[str, str, str], str] = {}  # (database, table, column) -> its sequence


class CopySink:
    """PostgreSQL COPY with ids taken from the tables' sequences."""

    name = "copy"
    HISTORY_FIELDS = ("history_id", "history_date", "history_type", "history_user_id", "history_change_reason")

    def __init__(self, *, actor, reason: str, rows: Counter):
        if connection.vendor != "postgresql":
            raise RuntimeError("CopySink needs PostgreSQL")
        self.actor, self.reason, self.rows = actor, reason, rows
        self._tables: dict = {}

    def _table(self, model, with_pk: bool = True) -> _Table:
        key = (model, with_pk)
        if key not in self._tables:
            self._tables[key] = _Table(model, with_pk=with_pk)
        return self._tables[key]

    def _ids(self, model, column: str, n: int) -> list[int]:
        key = (connection.settings_dict["NAME"], model._meta.db_table, column)
        if key not in _SEQUENCES:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, column])
                _SEQUENCES[key] = cursor.fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [_SEQUENCES[key], n])
            return [row[0] for row in cursor.fetchall()]

    def _copy(self, table: _Table, rows: Iterable[list]) -> None:
        buffer = io.StringIO()
        buffer.writelines("\t".join(row) + "\n" for row in rows)
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(table.sql, buffer)

    def insert(self, model, objs: list, *, want_history_ids: bool = False) -> dict[int, int]:
        if not objs:
            return {}
        pk = model._meta.pk.attname
        for obj, new_id in zip(objs, self._ids(model, model._meta.pk.column, len(objs))):
            obj.__dict__[pk] = new_id
            obj._state.adding, obj._state.db = False, connection.alias
        table = self._table(model)
        now = timezone.now()
        for field in table.auto_now:
            for obj in objs:
                if field.auto_now or obj.__dict__.get(field.attname) is None:
                    obj.__dict__[field.attname] = now
        pairs = list(zip(table.attnames, table.converters))
        self._copy(table, ([convert(data[a]) for a, convert in pairs] for data in (o.__dict__ for o in objs)))
        self.rows[model._meta.label] += len(objs)
        if not has_history(model):
            return {}
        return self._history(model, objs, now, want_history_ids)

    def _history(self, model, objs: list, now: datetime, want_ids: bool) -> dict[int, int]:
        """One "+" historical row per object, as bulk_history_create would write it."""
        historical = model.history.model
        table = self._table(historical, with_pk=want_ids)
        ids: list[int | None] = [*self._ids(historical, "history_id", len(objs))] if want_ids else [None] * len(objs)
        default_user = self.actor.pk if self.actor is not None else None
        # Each column comes either from the object (a tracked field) or from the history bookkeeping.
        plan = [(a in self.HISTORY_FIELDS, a, convert) for a, convert in zip(table.attnames, table.converters)]

        def rows():
            for obj, history_id in zip(objs, ids):
                data = obj.__dict__
                user = data.get("_history_user")
                extra = {
                    "history_id": history_id,
                    "history_date": data.get("_history_date") or now,
                    "history_type": "+",
                    "history_user_id": user.pk if user is not None else default_user,
                    "history_change_reason": data.get("_change_reason") or self.reason,
                }
                yield [convert(extra[a] if bookkeeping else data[a]) for bookkeeping, a, convert in plan]

        self._copy(table, rows())
        self.rows[historical._meta.label] += len(objs)
        return {obj.pk: history_id for obj, history_id in zip(objs, ids) if history_id is not None}

    def insert_plain(self, model, attnames: tuple[str, ...], rows: list[tuple]) -> None:
        """Rows of a model without history (guardian grants), given as value tuples; ids from the sequence."""
        if not rows:
            return
        assert not has_history(model), f"{model.__name__} has history: use insert()"
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        table = _Table.__new__(_Table)
        table.sql = (
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ("
            + ", ".join(connection.ops.quote_name(by_attname[a].column) for a in attnames)
            + ") FROM STDIN"
        )
        converters = [_converter(by_attname[a]) for a in attnames]
        self._copy(table, ([convert(v) for convert, v in zip(converters, row)] for row in rows))
        self.rows[model._meta.label] += len(rows)

    def link(self, model, field_name: str, pairs: list[tuple[int, int]], history_ids: dict[int, int]) -> None:
        if not pairs:
            return
        through, source, target, historical = m2m_parts(model, field_name)
        link_ids = self._ids(through, through._meta.pk.column, len(pairs))
        table = self._table(through)
        position = {source: 0, target: 1}
        # Besides the two keys, a link may carry nullable details (a qualification's point): the bulk
        # world leaves them NULL.
        empty = {a for a in table.attnames if a not in ("id", source, target)}
        assert all(through._meta.get_field(a).null for a in empty), f"unexpected columns in {through._meta.db_table}"

        def link_value(attname, link_id, pair):
            if attname == "id":
                return str(link_id)
            return NULL if attname in empty else str(pair[position[attname]])

        self._copy(table, ([link_value(a, i, pair) for a in table.attnames] for i, pair in zip(link_ids, pairs)))
        self.rows[through._meta.label] += len(pairs)
        if historical is None:
            return
        htable = self._table(historical, with_pk=False)  # m2m_history_id from its sequence
        assert set(htable.attnames) == {"id", "history_id", source, target} | empty, historical._meta.db_table

        def value(attname, link_id, pair):
            if attname == "id":
                return str(link_id)
            if attname == "history_id":
                return str(history_ids[pair[0]])
            return NULL if attname in empty else str(pair[position[attname]])

        self._copy(htable, ([value(a, i, pair) for a in htable.attnames] for i, pair in zip(link_ids, pairs)))
        self.rows[historical._meta.label] += len(pairs)


def resolve(method: str) -> str:
    """ "auto" is COPY on PostgreSQL and bulk_create elsewhere."""
    if method == "auto":
        return "copy" if connection.vendor == "postgresql" else "orm"
    if method not in ("orm", "copy"):
        raise ValueError(f"unknown bulk method {method!r}")
    return method


def sink_for(method: str, **kwargs):
    return {"orm": OrmSink, "copy": CopySink}[resolve(method)](**kwargs)
