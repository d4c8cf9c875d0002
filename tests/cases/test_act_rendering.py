"""From approval to a signed PDF in this process: the task's steps, its idempotency, failures, the sweep.

The worker processes, the broker and their faults are exercised in tests/test_signing_worker.py.
"""

import io
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from cases.act_transitions import ActAction
from cases.choices import ActStatus, RenderingState
from cases.models import ActRendering, ActTransition, ProceduralAct, SigningCertificate
from cases.pdf.storage import pdf_read
from cases.services import act_rendering
from cases.services.act_rendering import act_renderings_sweep, rendering_enqueue
from cases.signing.verify import verify_pdf
from cases.tasks import render_act
from ecase import blobs
from tests.cases.signing_helpers import author_signed_act, certify, render_in_process


def stored_pdfs(settings) -> list:
    return [sha for sha, _stored_at in blobs.iter_blobs()]


def test_the_task_signs_the_act_with_its_authors_certificate_and_seals_it(
    case, investigator, supervisor, signing, settings
):
    certificate = certify(investigator)
    act = render_in_process(author_signed_act(case, investigator))
    rendering = act.renderings.get()
    assert (act.status, act.signed_by, act.pdf_sha256) == (ActStatus.SIGNED, investigator, rendering.pdf_sha256)
    assert (rendering.role, rendering.signer, rendering.step) == ("author", investigator, 1)
    assert (rendering.state, rendering.attempts, rendering.signer_certificate_sha256) == (
        RenderingState.SIGNED,
        1,
        certificate.sha256,
    )
    pdf = pdf_read(act.pdf_sha256)
    assert len(pdf) == rendering.pdf_size
    result = verify_pdf(pdf)
    assert result.valid, result.problems
    assert investigator.get_full_name() in result.signer
    sign = ActTransition.objects.get(act=act, action=ActAction.SEAL)
    assert (sign.from_status, sign.to_status, sign.actor.username) == (
        ActStatus.APPROVED,
        ActStatus.SIGNED,
        "system.renderer",
    )
    assert stored_pdfs(settings) == [act.pdf_sha256]


def test_a_second_delivery_of_the_same_task_changes_nothing(case, investigator, supervisor, signing, settings):
    certify(investigator)
    act = render_in_process(author_signed_act(case, investigator))
    before = (ActTransition.objects.count(), AuditEvent.objects.count(), act.pdf_sha256)
    result = render_act.apply(args=[act.renderings.get().pk]).get()
    assert result == "nothing to do"
    assert (
        ActTransition.objects.count(),
        AuditEvent.objects.count(),
        ProceduralAct.objects.get(pk=act.pk).pdf_sha256,
    ) == before
    assert ActRendering.objects.get(act=act).attempts == 1
    assert len(stored_pdfs(settings)) == 1


def test_without_a_certificate_the_rendering_fails_with_a_reason_until_one_is_issued(
    case, investigator, supervisor, signing, published, django_capture_on_commit_callbacks
):
    act = author_signed_act(case, investigator)
    rendering = act.renderings.get()
    assert render_act.apply(args=[rendering.pk]).get() == "failed"
    rendering.refresh_from_db()
    assert rendering.state == RenderingState.FAILED and "issue_certificate investigator" in rendering.last_error
    failure = AuditEvent.objects.filter(case_id=case.pk, event="act.render_failed").get()
    assert (failure.outcome, failure.data["rendering"]) == ("failed", rendering.pk)
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.APPROVED

    with django_capture_on_commit_callbacks(execute=True):
        certificate = certify(investigator)
    rendering.refresh_from_db()
    assert (rendering.state, rendering.attempts) == (RenderingState.QUEUED, 0)
    assert published() == [("cases.render_act", [rendering.pk])]
    issued = AuditEvent.objects.filter(event="signing.certificate_issued").latest("id")
    assert issued.data["requeued_renderings"] == [rendering.pk] and issued.data["serial"] == certificate.serial
    assert render_in_process(act).status == ActStatus.SIGNED


def test_a_transient_error_is_retried_with_backoff_then_given_up(
    case, investigator, supervisor, signing, monkeypatch, settings
):
    certify(investigator)
    settings.ECASE_RENDER_MAX_ATTEMPTS = 3

    def disk_full(data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(act_rendering, "pdf_store", disk_full)
    act = author_signed_act(case, investigator)
    render_act.apply(args=[act.renderings.get().pk])  # eager: Celery runs each retry at once
    rendering = ActRendering.objects.get(act=act)
    assert (rendering.state, rendering.attempts) == (RenderingState.FAILED, 3)
    assert rendering.last_error.startswith("attempt 3: OSError") and "No space left" in rendering.last_error
    assert AuditEvent.objects.filter(case_id=case.pk, event="act.render_failed").count() == 1
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.APPROVED


def test_the_backoff_doubles_and_stays_far_below_the_visibility_timeout(settings):
    from cases.tasks import BACKOFF_MAX, backoff

    assert [backoff(n) for n in range(1, 5)] == [5, 10, 20, 40]
    assert backoff(50) == BACKOFF_MAX < settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)


def test_a_rendering_out_of_attempts_is_given_up_when_claimed(case, investigator, supervisor, signing, settings):
    act = author_signed_act(case, investigator)
    rendering = act.renderings.get()
    rendering.attempts, rendering.state = settings.ECASE_RENDER_MAX_ATTEMPTS, RenderingState.RENDERING
    rendering.save()
    assert render_act.apply(args=[rendering.pk]).get() == "nothing to do"
    rendering.refresh_from_db()
    assert rendering.state == RenderingState.FAILED and "the worker stopped mid-task" in rendering.last_error


def test_approval_publishes_one_message_after_the_commit_only(
    case, investigator, supervisor, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        act = author_signed_act(case, investigator)
    rendering = act.renderings.get()
    assert published() == [] and rendering.published_at is None
    for callback in callbacks:
        callback()
    assert published() == [("cases.render_act", [rendering.pk])]
    rendering.refresh_from_db()
    assert rendering.published_at is not None


def test_an_unreachable_broker_leaves_the_rendering_for_the_sweep(case, investigator, supervisor, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(act_rendering.current_app, "send_task", broker_down)
    act = author_signed_act(case, investigator)
    rendering = act.renderings.get()
    assert rendering_enqueue(rendering.pk) is False
    rendering.refresh_from_db()
    assert rendering.published_at is None and rendering.state == RenderingState.QUEUED


@pytest.mark.django_db(transaction=True)
def test_the_sweep_re_enqueues_lost_messages_and_abandoned_claims_only(
    case, investigator, supervisor, published, settings
):
    """A claimed rendering whose row a worker holds locked is being rendered, however long it takes; one that
    nobody holds belongs to a dead worker and goes back at once. Locks are taken from a second connection,
    as a worker process would hold them."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.ECASE_RENDER_STALE_SECONDS + 1)
    fresh = now - timedelta(seconds=1)

    def rendering(state, published_at=None, started_at=None, retry_due_at=None):
        act = author_signed_act(case, investigator)
        row = act.renderings.get()
        row.state, row.published_at, row.started_at, row.retry_due_at = state, published_at, started_at, retry_due_at
        row.last_error = "no certificate" if state == RenderingState.FAILED else ""
        row.save()
        return row.pk

    never_sent = rendering(RenderingState.QUEUED)
    lost = rendering(RenderingState.QUEUED, published_at=stale)
    worker_died = rendering(RenderingState.RENDERING, published_at=stale, started_at=stale)
    retry_overdue = rendering(RenderingState.QUEUED, published_at=stale, retry_due_at=stale)
    rendering(RenderingState.QUEUED, published_at=fresh)  # in the queue right now
    rendering(RenderingState.QUEUED, published_at=stale, retry_due_at=now + timedelta(seconds=60))  # backing off
    long_render = rendering(RenderingState.RENDERING, published_at=stale, started_at=stale)
    rendering(RenderingState.RENDERING, published_at=fresh, started_at=fresh)  # claimed, about to lock its row
    rendering(RenderingState.FAILED)  # failed renderings wait for their cause to be fixed
    already_sent = len(published())  # committed approvals published their renderings on commit
    with worker_holding(long_render):
        swept = act_renderings_sweep(now=now)
    assert sorted(swept) == sorted([never_sent, lost, worker_died, retry_overdue])
    assert sorted(args[0] for _name, args in published()[already_sent:]) == sorted(swept)


@contextmanager
def worker_holding(rendering_id: int):
    """Another database connection holding the rendering's row lock, as a worker rendering it does."""
    locked, release = threading.Event(), threading.Event()

    def work():
        try:
            with transaction.atomic():
                ActRendering.objects.select_for_update().get(pk=rendering_id)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    assert locked.wait(10), "the second connection did not get the lock"
    try:
        yield
    finally:
        release.set()
        worker.join()


def test_certificates_are_issued_to_active_people_only(admin, supervisor, signing):
    from django.core.exceptions import ValidationError

    from cases.services.certificates import certificate_issue
    from cases.system_actor import system_actor

    supervisor.is_active = False
    supervisor.save()
    for user in (supervisor, system_actor()):
        with pytest.raises(ValidationError):
            certificate_issue(user=user, actor=admin)
    assert not SigningCertificate.objects.exists()


def test_requeue_renderings_sends_a_failed_rendering_back_once_audited(
    case, investigator, supervisor, admin, signing, published, django_capture_on_commit_callbacks
):
    act = author_signed_act(case, investigator)
    rendering = act.renderings.get()
    assert render_act.apply(args=[rendering.pk]).get() == "failed"  # no certificate yet
    with pytest.raises(CommandError, match="no failed rendering"):
        call_command("requeue_renderings", act=act.pk + 1000, cause="key restored", by=admin.username)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("requeue_renderings", act=act.pk, cause="key restored", by=admin.username, stdout=io.StringIO())
    rendering.refresh_from_db()
    assert (rendering.state, rendering.attempts) == (RenderingState.QUEUED, 0)
    assert published() == [("cases.render_act", [rendering.pk])]
    requeued = AuditEvent.objects.get(case_id=case.pk, event="act.render_requeued")
    assert (requeued.actor, requeued.data["cause"]) == (admin, "key restored")
    assert "issue_certificate" in requeued.data["failed_with"]
    with django_capture_on_commit_callbacks(execute=True):  # a queued rendering is not "failed": nothing to do
        call_command("requeue_renderings", all_failed=True, cause="again", stdout=io.StringIO())
    assert AuditEvent.objects.filter(event="act.render_requeued").count() == 1 and len(published()) == 1
