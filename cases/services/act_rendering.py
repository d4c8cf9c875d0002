"""The signatures an act owes to its PDF, from each signing step to storage (issues #5, #17, DESIGN §5).

Each step that signs queues an ``ActRendering`` (one signature: role, signer, step) in its own
transaction and hands a message to the broker only after the commit. A worker claims it once the
signatures before it in the same round are on the PDF, appends its signature as an incremental
update of the previous file (the round's first renders the PDF from the snapshot frozen at the
author's signature), stores the result, passes the round on to the next queued signature, and —
when it is the last signature of an act whose decisions are all taken — seals the act as signed.
Every step is idempotent, so a re-delivered or duplicated message finds the work done: one
signature per step. The broker is never the only record: ``act_renderings_sweep`` re-enqueues
every pending signature the broker never received or nobody progressed.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

# The project's Celery app, made current by ecase/__init__.py: cases does not import the wiring.
from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from audit.choices import EventType, Outcome
from audit.services import audit_record

from ..choices import ActStatus, RenderingState
from ..models import ActRendering, ProceduralAct
from ..pdf.document import render_act_pdf
from ..pdf.layout import layout_labels
from ..pdf.snapshot import act_snapshot
from ..pdf.storage import pdf_read, pdf_store
from ..signing.base import act_signer
from ..signing.roles import ORDER, SignatureRole

logger = logging.getLogger(__name__)

RENDER_TASK = "cases.render_act"
PENDING = (RenderingState.QUEUED, RenderingState.RENDERING)
SWEEP_BATCH = 200
# Publishing happens after the approval committed: give up quickly and leave it to the sweep.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


def rendering_enqueue(rendering_id: int) -> bool:
    """Hand one render message to the broker; False (logged) when the broker is unreachable."""
    try:
        current_app.send_task(
            RENDER_TASK, args=[rendering_id], queue=settings.ECASE_RENDER_QUEUE, retry=True, retry_policy=PUBLISH_RETRY
        )
    except Exception:  # the approval is committed already; the sweep re-enqueues what did not get through
        logger.warning("broker unreachable: rendering %s stays queued for the sweep", rendering_id, exc_info=True)
        return False
    ActRendering.objects.filter(pk=rendering_id, state__in=PENDING).update(published_at=timezone.now())
    return True


def signature_roles(act: ProceduralAct) -> list[str]:
    """Whose signatures the act's PDF will carry, in order: the author's, then those its requirements ask for."""
    requirement = act.requirements()
    roles = [SignatureRole.AUTHOR]
    if requirement is not None and requirement.needs_approval:
        roles.append(SignatureRole.APPROVER)
    if requirement is not None and requirement.needs_agreement:
        roles.append(SignatureRole.PROSECUTOR)
    return [str(r) for r in roles]


def act_signature_queue(*, act: ProceduralAct, role: str, signer: User) -> ActRendering:
    """Queue ``signer``'s signature of the act's signed content; the message leaves after the commit.

    The round's first signature (the author's; for an act submitted before issue #17, the
    approver's) freezes the snapshot the PDF is rendered from.
    """
    round_ = act.content_version or act.version
    first = not ActRendering.objects.filter(act=act, act_version=round_).exists()
    rendering = ActRendering(
        act=act,
        act_version=round_,
        role=role,
        step=ORDER.index(SignatureRole(role)) + 1,
        signer=signer,
        snapshot=act_snapshot(act, signature_roles=signature_roles(act), signed_at=act.signed_at or timezone.now())
        if first
        else {},
    )
    rendering.full_clean()
    rendering.save()
    transaction.on_commit(lambda: rendering_enqueue(rendering.pk))
    return rendering


def _round(rendering: ActRendering):
    return ActRendering.objects.filter(act_id=rendering.act_id, act_version=rendering.act_version)


def _waits_for_earlier(rendering: ActRendering) -> bool:
    """Whether a signature before this one in its round is not on the PDF yet."""
    return _round(rendering).filter(step__lt=rendering.step).exclude(state=RenderingState.SIGNED).exists()


@transaction.atomic
def act_rendering_claim(*, rendering_id: int, actor: User) -> ActRendering | None:
    """Mark the rendering as started; None when it is done, failed, gone, or out of attempts."""
    rendering = ActRendering.objects.select_for_update().filter(pk=rendering_id).first()
    if rendering is None or rendering.state not in PENDING:
        return None
    if _waits_for_earlier(rendering):
        return None  # the earlier signature's worker passes the round on when it is done
    if rendering.attempts >= settings.ECASE_RENDER_MAX_ATTEMPTS:
        _fail(
            rendering,
            actor=actor,
            reason=f"gave up after {rendering.attempts} attempts; last error: "
            f"{rendering.last_error or 'the worker stopped mid-task'}",
        )
        return None
    rendering.state, rendering.started_at, rendering.retry_due_at = RenderingState.RENDERING, timezone.now(), None
    rendering.attempts += 1
    rendering.save(update_fields=["state", "started_at", "retry_due_at", "attempts"])
    return rendering


def act_rendering_sign(*, rendering_id: int, actor: User) -> ActRendering | None:
    """Append the claimed signature to the round's PDF, store it, and seal the act if it was the last.

    The rendering row stays locked while the PDF is produced, so a duplicate delivery waits and
    then finds the work done (None: nothing was signed by this call); the lock is also how the
    sweep tells a live worker from a dead one. The case and the act are locked only for the seal.
    """
    from .act_workflow import act_seal

    with transaction.atomic():
        rendering = ActRendering.objects.select_for_update().get(pk=rendering_id)
        if rendering.state != RenderingState.RENDERING:
            return None  # a duplicate delivery finished (or failed) it first
        act = ProceduralAct.objects.select_related("approved_by").get(pk=rendering.act_id)
        signed_round = list(_round(rendering).filter(step__lt=rendering.step).order_by("step"))
        if any(r.state != RenderingState.SIGNED for r in signed_round):
            raise RenderingImpossible("an earlier signature of this round is not on the PDF")
        first = signed_round[0] if signed_round else rendering
        snapshot = first.snapshot
        labels = layout_labels(snapshot["language"])
        signer = rendering.signer or act.approved_by  # renderings queued before issue #17 name no signer
        signed = act_signer().sign(
            pdf_read(signed_round[-1].pdf_sha256) if signed_round else render_act_pdf(snapshot),
            signer=signer,
            role=rendering.role,
            location=snapshot["act"]["place"],
            reason=labels["sign_reasons"]
            .get(rendering.role, labels["sign_reason"])
            .format(title=snapshot["act"]["type_name"], number=snapshot["act"]["number"]),
            language=snapshot["language"],
        )
        sha = pdf_store(signed.data)
        rendering.state, rendering.finished_at, rendering.last_error = RenderingState.SIGNED, timezone.now(), ""
        rendering.pdf_sha256, rendering.pdf_size = sha, len(signed.data)
        rendering.signer_certificate_sha256 = signed.certificate_sha256
        rendering.full_clean()
        rendering.save()
        last = not _round(rendering).filter(step__gt=rendering.step).exists()
        if last and act.status == ActStatus.APPROVED and act.content_version == rendering.act_version:
            act_seal(act_id=act.pk, pdf_sha256=sha, system_actor=actor)
        transaction.on_commit(lambda: _pass_on(rendering))
    return rendering


def _pass_on(rendering: ActRendering) -> None:
    """Hand the round's next queued signature to the broker (its own message may have found us busy)."""
    following = _round(rendering).filter(step__gt=rendering.step, state=RenderingState.QUEUED).order_by("step")
    next_id = following.values_list("pk", flat=True).first()
    if next_id is not None:
        rendering_enqueue(next_id)


class RenderingImpossible(Exception):
    """The act is no longer in a state its rendering can complete: retrying will not help."""


def _fail(rendering: ActRendering, *, actor: User, reason: str) -> None:
    rendering.state, rendering.finished_at, rendering.last_error = RenderingState.FAILED, timezone.now(), reason[:2000]
    rendering.save(update_fields=["state", "finished_at", "last_error"])
    audit_record(
        actor=actor,
        event=EventType.ACT_RENDER_FAILED,
        outcome=Outcome.FAILED,
        case_id=rendering.act.case_id,
        target=rendering.act,
        data={
            "rendering": rendering.pk,
            "version": rendering.act_version,
            "attempts": rendering.attempts,
            "reason": rendering.last_error,
        },
    )


@transaction.atomic
def act_rendering_fail(*, rendering_id: int, actor: User, reason: str) -> ActRendering:
    """Give the rendering up with a reason the act page shows; one ACT_RENDER_FAILED audit row."""
    rendering = ActRendering.objects.select_for_update().select_related("act").get(pk=rendering_id)
    if rendering.state in PENDING:
        _fail(rendering, actor=actor, reason=reason)
    return rendering


@transaction.atomic
def act_rendering_postpone(*, rendering_id: int, error: str, retry_in: int) -> ActRendering:
    """Back to the queue after a transient error; Celery re-publishes the message in ``retry_in`` seconds."""
    rendering = ActRendering.objects.select_for_update().get(pk=rendering_id)
    if rendering.state in PENDING:
        now = timezone.now()
        rendering.state, rendering.last_error = RenderingState.QUEUED, error[:2000]
        rendering.published_at, rendering.retry_due_at = now, now + timedelta(seconds=retry_in)
        rendering.save(update_fields=["state", "last_error", "published_at", "retry_due_at"])
    return rendering


@transaction.atomic
def act_renderings_requeue(
    *, renderings: QuerySet[ActRendering], actor: User | None, actor_label: str = "", cause: str
) -> list[int]:
    """Put failed renderings back in the queue once their cause is fixed; messages leave on commit.

    Each one is an ACT_RENDER_REQUEUED event in its case's chain: a PDF that appears after a
    failure must say who sent it back and why.
    """
    ids = []
    for rendering in renderings.select_for_update().select_related("act").filter(state=RenderingState.FAILED):
        failed_with = rendering.last_error
        rendering.state, rendering.attempts, rendering.queued_at = RenderingState.QUEUED, 0, timezone.now()
        rendering.published_at = rendering.started_at = rendering.finished_at = None
        rendering.save(update_fields=["state", "attempts", "queued_at", "published_at", "started_at", "finished_at"])
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event=EventType.ACT_RENDER_REQUEUED,
            case_id=rendering.act.case_id,
            target=rendering.act,
            data={
                "rendering": rendering.pk,
                "version": rendering.act_version,
                "cause": cause,
                "failed_with": failed_with,
            },
        )
        transaction.on_commit(partial(rendering_enqueue, rendering.pk))
        ids.append(rendering.pk)
    return ids


def act_renderings_sweep(*, now=None) -> list[int]:
    """Re-enqueue pending renderings the broker lost or whose worker died; return their ids.

    Redis is not the record of pending work, the database is (DESIGN §5). Two cases, each
    found within one sweep period (ECASE_RENDER_SWEEP_SECONDS, 5 s) of becoming true:

    * queued, and its message never reached the broker, or reached it more than
      ECASE_RENDER_STALE_SECONDS ago without a worker starting it (a restarted, emptied Redis),
      or its postponed retry is overdue;
    * claimed, but no worker holds its row lock: ``act_rendering_sign`` keeps the row locked
      for the whole render, so a claimed row that ``SKIP LOCKED`` can take belongs to a worker
      that died (killed, lost its database connection). This needs no timeout, which is what
      makes recovery take seconds instead of the render time limit. Where the database has no
      row locks (the embedded SQLite default, one worker) the stale period stands in for it.

    A re-sent message that was not lost merely arrives twice, which the task treats as done.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.ECASE_RENDER_STALE_SECONDS)
    grace = now - timedelta(seconds=settings.ECASE_RENDER_CLAIM_GRACE_SECONDS)
    pending = ActRendering.objects.all()
    lost = pending.filter(state=RenderingState.QUEUED).filter(
        Q(published_at__isnull=True) | Q(retry_due_at__lt=stale) | Q(retry_due_at__isnull=True, published_at__lt=stale)
    )
    ids = list(lost.order_by("queued_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    ids += _abandoned_claims(pending, grace=grace, stale=stale, limit=SWEEP_BATCH - len(ids))
    for rendering_id in ids:
        rendering_enqueue(rendering_id)
    return ids


def _abandoned_claims(pending: QuerySet[ActRendering], *, grace, stale, limit: int) -> list[int]:
    claimed = pending.filter(state=RenderingState.RENDERING)
    if not connection.features.has_select_for_update_skip_locked:
        return list(claimed.filter(started_at__lt=stale).values_list("pk", flat=True)[:limit])
    with transaction.atomic():
        # Only this table is locked (of=("self",)): the join to the act must not wait on acts being signed.
        return list(
            claimed.filter(started_at__lt=grace)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:limit]
        )
