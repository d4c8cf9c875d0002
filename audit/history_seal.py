"""Sealing the simple-history tables: periodic checkpoints in the audit trail's ``history`` chain.

A checkpoint event records, for every history table with new rows, the segment of primary
keys it covers ``(from, upto]``, the number of rows in it and a digest of their contents:

    row digest     = SHA-256 of the row's recorded columns as PostgreSQL's jsonb text (in the DB)
    segment digest = SHA-256 over "<pk>:<row digest>\\n" for every row of the segment, by pk

The next checkpoint starts where the last one ended, so the segments of a table tile its
whole history. ``verify_history`` recomputes every segment: a changed, deleted or inserted row
inside a sealed segment changes its count or digest. Rows written after the last checkpoint
are protected by the triggers only until the next checkpoint seals them (docs/AUDIT.md).

The columns are recorded with each segment, so a later migration that adds a column to a
history table does not break old seals; dropping or renaming a recorded column does, and is
reported as such.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.db import connection, transaction

from .choices import EventType
from .models import AuditEvent
from .triggers import history_tables

HISTORY_CHAIN = "history"
FETCH = 5000


def _row_digest_sql(connection_, table: str, pk: str, columns: list[str]) -> str:
    quote = connection_.ops.quote_name
    # jsonb_build_array takes at most 100 arguments: nest groups of 90.
    groups = [columns[i : i + 90] for i in range(0, len(columns), 90)] or [[pk]]
    array = ", ".join(f"jsonb_build_array({', '.join(quote(c) for c in g)})" for g in groups)
    return (
        f"SELECT {quote(pk)}, encode(sha256(convert_to(jsonb_build_array({array})::text, 'UTF8')), 'hex') "
        f"FROM {quote(table)} WHERE {quote(pk)} > %s AND {quote(pk)} <= %s ORDER BY {quote(pk)}"
    )


def segment_digest(table: str, pk: str, columns: list[str], after: int, upto: int) -> tuple[int, str]:
    """(rows, digest) of ``table``'s rows with ``after < pk <= upto``, computed from their recorded columns."""
    digest, count = hashlib.sha256(), 0
    sql = _row_digest_sql(connection, table, pk, list(columns))
    with transaction.atomic():
        with connection.cursor() as cursor:
            # jsonb prints timestamps in the session's zone: fix it, so the digest does not depend on it.
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, [after, upto])
            while rows := cursor.fetchmany(FETCH):
                count += len(rows)
                digest.update("".join(f"{key}:{row}\n" for key, row in rows).encode())
    return count, digest.hexdigest()


def _wait_for_writers_in_flight(timeout: float = 60.0) -> bool:
    """Wait until every transaction of this database that was writing now has ended, so no row
    below the maxima just read can still appear (a history row's key is taken before its
    transaction commits). Sessions of other databases of the cluster are not waited for."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid, backend_xid::text FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        )
        running = cursor.fetchall()
        deadline = time.monotonic() + timeout
        while running:
            # Inside a transaction pg_stat_activity is a snapshot taken at first use: refresh it.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT pid, backend_xid::text FROM pg_stat_activity WHERE pid = ANY(%s) "
                "AND backend_xid::text = ANY(%s)",
                [[p for p, _ in running], [x for _, x in running]],
            )
            running = [row for row in cursor.fetchall() if row in running]
            if not running:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
    return True


def last_seals(tables: list[str] | None = None) -> dict[str, dict]:
    """Per history table, the segment of its latest checkpoint (``{}`` before the first one).

    Reads checkpoints newest first and stops once every table in ``tables`` has been seen.
    """
    seals: dict[str, dict] = {}
    wanted = set(tables) if tables is not None else None
    events = (
        AuditEvent.objects.filter(chain=HISTORY_CHAIN, event=EventType.HISTORY_CHECKPOINT)
        .order_by("-seq")
        .values_list("data", flat=True)
    )
    for data in events.iterator(chunk_size=50):
        for table, seal in data.get("tables", {}).items():
            seals.setdefault(table, seal)
        if wanted is not None and wanted <= seals.keys():
            break
    return seals


@dataclass
class CheckpointResult:
    event: AuditEvent | None
    tables: int
    rows: int
    skipped: str = ""


def write_checkpoint(*, actor=None, actor_label: str = "system") -> CheckpointResult:
    """Seal every history row written since the last checkpoint; one event in the ``history`` chain."""
    from .services import _locked_head, audit_record

    if connection.vendor != "postgresql":
        return CheckpointResult(None, 0, 0, skipped="history seals need PostgreSQL")
    existing = set(connection.introspection.table_names())
    tables = [t for t in history_tables() if t.table in existing]
    with transaction.atomic():
        _locked_head(HISTORY_CHAIN)  # one checkpoint writer at a time: segments must tile
        previous = last_seals([t.table for t in tables])
        quote = connection.ops.quote_name
        maxima = {}
        with connection.cursor() as cursor:
            for t in tables:
                cursor.execute(f"SELECT max({quote(t.pk)}) FROM {quote(t.table)}")
                maxima[t.table] = cursor.fetchone()[0] or 0
        if not _wait_for_writers_in_flight():
            return CheckpointResult(None, 0, 0, skipped="transactions still running; try again later")
        sealed, rows = {}, 0
        for t in tables:
            after = previous.get(t.table, {}).get("upto", 0)
            upto = maxima[t.table]
            if upto <= after:
                continue
            count, digest = segment_digest(t.table, t.pk, list(t.columns), after, upto)
            sealed[t.table] = {
                "pk": t.pk,
                "columns": list(t.columns),
                "after": after,
                "upto": upto,
                "rows": count,
                "digest": digest,
            }
            rows += count
        if not sealed:
            return CheckpointResult(None, 0, 0, skipped="no new history rows")
        event = audit_record(
            actor=actor,
            actor_label=actor_label,
            event=EventType.HISTORY_CHECKPOINT,
            chain=HISTORY_CHAIN,
            data={"tables": sealed},
        )
    return CheckpointResult(event, len(sealed), rows)


def verify_history() -> tuple[list[str], int, int]:
    """Recompute every sealed segment; return (problems, sealed rows checked, rows not yet sealed)."""
    problems: list[str] = []
    if connection.vendor != "postgresql":
        return problems, 0, 0
    existing = set(connection.introspection.table_names())
    reached: dict[str, int] = {}
    broken: set[str] = set()
    checked = 0
    events = (
        AuditEvent.objects.filter(chain=HISTORY_CHAIN, event=EventType.HISTORY_CHECKPOINT)
        .order_by("seq")
        .values_list("seq", "data")
    )
    for seq, data in events.iterator(chunk_size=100):
        for table, seal in sorted(data.get("tables", {}).items()):
            if table in broken:
                continue
            where = f"history checkpoint #{seq}, {table} rows ({seal['after']}, {seal['upto']}]"
            if seal["after"] != reached.get(table, 0):
                problems.append(
                    f"{where}: does not continue the previous seal (which ended at {reached.get(table, 0)})"
                )
                broken.add(table)
                continue
            reached[table] = seal["upto"]
            if table not in existing:
                problems.append(f"{where}: the table no longer exists")
                broken.add(table)
                continue
            try:
                count, digest = segment_digest(table, seal["pk"], seal["columns"], seal["after"], seal["upto"])
            except Exception as error:
                problems.append(f"{where}: cannot be recomputed ({type(error).__name__}: {str(error).splitlines()[0]})")
                broken.add(table)
                continue
            checked += count
            if count != seal["rows"]:
                problems.append(
                    f"{where}: {seal['rows']} rows were sealed, {count} are there (rows deleted or inserted)"
                )
                broken.add(table)
            elif digest != seal["digest"]:
                problems.append(f"{where}: rows were changed after they were sealed")
                broken.add(table)
    unsealed = 0
    with connection.cursor() as cursor:
        quote = connection.ops.quote_name
        for t in history_tables():
            if t.table in existing:
                cursor.execute(
                    f"SELECT count(*) FROM {quote(t.table)} WHERE {quote(t.pk)} > %s", [reached.get(t.table, 0)]
                )
                unsealed += cursor.fetchone()[0]
    return problems, checked, unsealed
