"""Where the current request came from, for audit rows written deeper down.

Only the origin (address, request id) travels this way; the actor is always passed
explicitly. Celery tasks and management commands have no request and record none.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    ip: str | None
    request_id: str


current_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)
