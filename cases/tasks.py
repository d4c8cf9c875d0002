"""Celery tasks: render and sign approved acts, and sweep what the broker lost (DESIGN §5).

Settings that make delivery safe live in ecase/settings.py: ``acks_late`` (a message is
acknowledged only after the task ran), ``task_reject_on_worker_lost`` (a worker killed
mid-task hands its message back), a hard time limit below the broker's visibility timeout.
The task itself is idempotent: the database says whether the work is done.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from .services.act_rendering import (
    RENDER_TASK,
    RenderingImpossible,
    act_rendering_claim,
    act_rendering_fail,
    act_rendering_postpone,
    act_rendering_sign,
    act_renderings_sweep,
)
from .services.clock_warnings import clock_warnings_record
from .signing.base import SigningUnavailable
from .system_actor import system_actor

logger = logging.getLogger(__name__)

# Worth another try later: the database or the disk was away, or the attempt ran too long.
TRANSIENT = (OperationalError, InterfaceError, OSError, SoftTimeLimitExceeded)
BACKOFF_BASE, BACKOFF_MAX = 5, 300  # seconds; below the broker's visibility timeout (settings check it)


def backoff(attempt: int) -> int:
    return min(BACKOFF_BASE * 2 ** max(attempt - 1, 0), BACKOFF_MAX)


@shared_task(
    bind=True,
    name=RENDER_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=settings.ECASE_RENDER_MAX_ATTEMPTS,
    time_limit=settings.ECASE_RENDER_TIME_LIMIT,
    soft_time_limit=max(settings.ECASE_RENDER_TIME_LIMIT - 10, settings.ECASE_RENDER_TIME_LIMIT // 2),
)
def render_act(self, rendering_id: int) -> str:
    """Render, sign and store one approved act version; a repeated delivery is a no-op.

    The claim runs under the same retry as the render: a database that is away when the message
    arrives postpones the work instead of failing the task, which would acknowledge the message
    and leave the act to the sweep. What happened is the task's result and its log line.
    """
    rendering = None
    try:
        actor = system_actor()  # a database read too: inside the retry
        rendering = act_rendering_claim(rendering_id=rendering_id, actor=actor)
        if rendering is None:
            return "nothing to do"  # done, failed, or out of attempts
        if act_rendering_sign(rendering_id=rendering_id, actor=actor) is None:
            return "nothing to do: another delivery signed it first"
    except (SigningUnavailable, RenderingImpossible) as error:
        act_rendering_fail(rendering_id=rendering_id, actor=actor, reason=str(error))
        logger.error("rendering %s failed: %s", rendering_id, error)
        return "failed"
    except TRANSIENT as error:
        return _retry_later(
            self, rendering_id, error, attempt=rendering.attempts if rendering else self.request.retries + 1
        )
    except Exception as error:  # a defect: record it on the act instead of retrying it forever
        logger.exception("rendering %s failed", rendering_id)
        act_rendering_fail(rendering_id=rendering_id, actor=actor, reason=f"{type(error).__name__}: {error}")
        return "failed"
    logger.info("rendering %s signed (attempt %s)", rendering_id, rendering.attempts)
    return "signed"


def _retry_later(task, rendering_id: int, error: Exception, *, attempt: int) -> str:
    if not connection.is_usable():  # the database went away: reconnect rather than fail again
        connection.close()
    reason = f"attempt {attempt}: {type(error).__name__}: {error}"
    if attempt >= settings.ECASE_RENDER_MAX_ATTEMPTS:
        act_rendering_fail(rendering_id=rendering_id, actor=system_actor(), reason=reason)
        return "failed"
    logger.warning("rendering %s postponed: %s", rendering_id, reason)
    act_rendering_postpone(rendering_id=rendering_id, error=reason, retry_in=backoff(attempt))
    raise task.retry(exc=error, countdown=backoff(attempt))


@shared_task(name="cases.sweep_act_renderings")
def sweep_act_renderings() -> int:
    """Periodic (beat): re-enqueue approved acts still without their PDF."""
    requeued = act_renderings_sweep()
    if requeued:
        logger.info("sweep re-enqueued renderings %s", requeued)
    return len(requeued)


@shared_task(name="cases.warn_clocks", ignore_result=True, acks_late=True)
def warn_clocks() -> int:
    """Daily (beat): one warning event per clock running out within 24 hours or overdue."""
    recorded = clock_warnings_record()
    logger.info("clock warnings recorded: %s", recorded)
    return recorded
