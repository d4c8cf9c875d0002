"""The daily warning of each clock that runs out within 24 hours or is overdue (issue #18, item 3).

Recorded as an audit event of the case (``case.clock_warning``), not as a model of its own: a
warning is a fact about the day ("this clock was due or overdue when the watcher looked"), never
edited, that belongs in the case's tamper-evident chain next to the decisions that caused it, and
the case's access log and the export already show that chain. One event per clock per day: a
second run the same day (a beat restart, a re-delivered message) finds the day's events and adds
none.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from audit.choices import EventType
from audit.models import AuditEvent
from audit.services import audit_record

from ..clock_selectors import TERM_STATUSES, clock_acts_condition, clock_type_ids, clocks_due
from ..models import Case, ProceduralAct

WATCHER = "clock watcher"
WARNING_HOURS = 24
CHUNK = 500  # cases per transaction


def _due_case_ids(now: datetime) -> list[int]:
    """Cases that may hold a clock due within WARNING_HOURS: by the stored deadline, or by an act."""
    last_day = timezone.localtime(now + timedelta(hours=WARNING_HOURS)).date() - timedelta(days=1)
    by_term = Case.objects.filter(status__in=TERM_STATUSES, deadline__lte=last_day).values_list("pk", flat=True)
    condition = clock_acts_condition(clock_type_ids(), now=now, due_by=now + timedelta(hours=WARNING_HOURS))
    by_act = ProceduralAct.objects.filter(condition).values_list("case_id", flat=True).distinct()
    return sorted({*by_term, *by_act})


def clock_warnings_record(now: datetime | None = None) -> int:
    """Record today's warnings; returns how many were new."""
    now = now or timezone.now()
    day_start = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    ids = _due_case_ids(now)
    recorded = 0
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset : offset + CHUNK]
        with transaction.atomic():
            done = set(
                AuditEvent.objects.filter(
                    case_id__in=chunk, occurred_at__gte=day_start, event=EventType.CLOCK_WARNING
                ).values_list("case_id", "data__clock")
            )
            for case, clock in clocks_due(Case.objects.filter(pk__in=chunk), hours=WARNING_HOURS, now=now):
                if (case.pk, clock.key) in done:
                    continue
                audit_record(
                    actor=None,
                    actor_label=WATCHER,
                    event=EventType.CLOCK_WARNING,
                    case_id=case.pk,
                    data={
                        "clock": clock.key,
                        "kind": clock.kind,
                        "article": clock.article,
                        "state": clock.state,
                        "ends_at": clock.end.isoformat() if clock.end else None,
                        "act": clock.act_id,
                    },
                )
                done.add((case.pk, clock.key))
                recorded += 1
    return recorded
