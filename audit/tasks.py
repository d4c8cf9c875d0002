"""Periodic verification of the audit trail (Celery beat: settings ``CELERY_BEAT_SCHEDULE``)."""

from __future__ import annotations

import logging

from celery import shared_task

from .choices import EventType, Outcome
from .history_seal import write_checkpoint
from .services import audit_record
from .verify import verify

logger = logging.getLogger("ecase.audit")
SYSTEM = "audit verifier"


@shared_task(name="audit.verify_trail", ignore_result=True, acks_late=True, time_limit=3000, soft_time_limit=2900)
def verify_trail() -> bool:
    """Seal new history rows, walk every chain; record AUDIT_VERIFIED, or AUDIT_ALERT and log CRITICAL."""
    checkpoint = write_checkpoint(actor_label=SYSTEM)
    report = verify()
    summary = {
        "chains": report.chains,
        "events": report.events,
        "seconds": round(report.seconds, 3),
        "history_rows": report.history_rows,
        "history_unsealed": report.history_unsealed,
        "checkpoint": checkpoint.event.seq if checkpoint.event else None,
    }
    if report.ok:
        audit_record(actor=None, actor_label=SYSTEM, event=EventType.AUDIT_VERIFIED, data=summary)
        return True
    findings = [str(f) for f in report.findings]
    logger.critical("audit trail verification FAILED: %s problem(s); first: %s", len(findings), findings[0])
    audit_record(
        actor=None,
        actor_label=SYSTEM,
        event=EventType.AUDIT_ALERT,
        outcome=Outcome.FAILED,
        data={**summary, "problems": len(findings), "findings": findings[:20]},
    )
    return False
