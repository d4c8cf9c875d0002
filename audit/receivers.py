"""What the project's neutral infrastructure announces, recorded in the audit trail.

ecase/ knows no app (the import contracts in pyproject.toml), so where its request machinery has
something the operator must find in the trail it sends a signal, and audit records it here.
"""

from __future__ import annotations

from ecase.query_budget import query_timed_out

from .choices import EventType, Outcome
from .services import audit_record


def record_query_timeout(sender, *, request, budget_ms: int, **kwargs) -> None:
    """``ops.query_timeout``: the route and budget, so a slow query is found by name (ecase/query_budget.py)."""
    user = getattr(request, "user", None)
    audit_record(
        actor=user if user is not None and user.is_authenticated else None,
        event=EventType.QUERY_TIMEOUT,
        outcome=Outcome.FAILED,
        data={"path": request.path, "method": request.method, "budget_ms": budget_ms},
    )


def connect() -> None:
    query_timed_out.connect(record_query_timeout, dispatch_uid="audit.record_query_timeout")
