"""Periodic work of the accounts app."""

from __future__ import annotations

import logging

from celery import shared_task

from .idempotency import purge_expired

logger = logging.getLogger(__name__)


@shared_task(name="accounts.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Idempotency-Key records past ECASE_IDEMPOTENCY_HOURS (a response cache, never case data)."""
    deleted = purge_expired()
    logger.info("idempotency keys purged: %d expired records deleted", deleted)
    return deleted
