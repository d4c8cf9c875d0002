"""The judge's decision on an act that needs a sanction, recorded as the investigator enters it."""

from __future__ import annotations

from django.utils import timezone

from cases.services.sanction import act_sanction_record
from tests.evidence.helpers import pdf_bytes


def judge_decides(act, actor, *, granted: bool = True, **details):
    """Record the court's decision on ``act`` (entered by ``actor``) with a scanned PDF; ``details``
    override the judge, court, date, note, scan or its file name."""
    fields = {
        "judge": "Ким А.",
        "court": "Следственный суд г. Астаны",
        "decided_on": timezone.localdate(),
        "note": "" if granted else "Оснований нет",
        "scan": pdf_bytes("court"),
        "scan_name": "decision.pdf",
        **details,
    }
    return act_sanction_record(act_id=act.pk, actor=actor, granted=granted, **fields)
