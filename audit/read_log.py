"""One access-log row for each page or API read of case content (issue #13 item 7).

The cases and evidence models are named by their labels only: audit imports no other app.

Opening the case, an act or an evidence item already wrote its own event; forms, the history
and the API's child lists read the same content and are logged the same way, with ``page``
saying which screen or endpoint it was. tests/test_read_logging.py walks every GET route and
holds each to exactly one row.
"""

from __future__ import annotations

from .choices import EventType
from .services import audit_record

_EVENT_OF = {
    "cases.case": EventType.CASE_OPENED,
    "cases.proceduralact": EventType.ACT_OPENED,
    "cases.participant": EventType.PARTICIPANT_OPENED,
    "cases.person": EventType.PERSON_OPENED,
    "evidence.evidenceitem": EventType.EVIDENCE_OPENED,
}


def log_read(request, obj, *, page: str, **data) -> None:
    """Record that ``request.user`` read ``obj`` (a case or one of its parts) on ``page``."""
    label = obj._meta.label_lower
    # A person belongs to no single case: the row goes to the reader's own chain.
    case_id = obj.pk if label == "cases.case" else None if label == "cases.person" else obj.case_id
    audit_record(actor=request.user, event=_EVENT_OF[label], case_id=case_id, target=obj, data={"page": page, **data})
