"""Issues #5 and #17 with real processes: Celery workers on the real Redis, killed, restarted, starved of
their broker, handed the same message twice — each act ends with exactly one signature per role the law
asks for, in one PDF, sealed exactly once.

Every test here starts ``python -m celery -A ecase worker`` processes (tests/cases/workers.py)
against pytest-django's test database, which is why the data must be committed
(``transaction=True``). Each test has a queue of its own; the broker-down test has a Redis
server of its own on a port the OS picked, which it stops and starts — the shared Redis is never touched.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import time

import pytest
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from audit.models import AuditEvent
from cases.act_transitions import ActAction
from cases.choices import ActStatus, RenderingState
from cases.models import ActRendering, ActTransition, ProceduralAct
from cases.pdf.storage import pdf_read
from cases.services.act_workflow import act_transition
from cases.signing.trust import trust_roots
from cases.signing.verify import verify_pdf
from ecase import blobs
from ecase.celery import app as celery_app
from tests.auth import verified_client
from tests.cases.pdf_text import pdf_text
from tests.cases.signing_helpers import (
    KAZAKH_LETTERS,
    TEST_PASSPHRASE,
    author_signed_act,
    certify,
    drafted_act,
    install_authority,
)
from tests.cases.workers import ROOT, ThrowawayRedis, broker_at, wait_for, workers  # noqa: F401 (fixture)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Long enough (some 600 pages, several seconds to render) that a kill lands in the middle of it.
LONG_BODY = "\n".join(
    f"{n}. Куә бөгде адамның жәбірленушіге жақындап, сөмкесін жұлып алып, аулаға қашып кеткенін "
    f"көрді; оқиға орнында қалған іздер сипатталды."
    for n in range(12000)
)


@pytest.fixture
def signing_setup(settings, tmp_path, reference_data):
    settings.ECASE_SIGNING_PASSPHRASE = TEST_PASSPHRASE
    settings.ECASE_PRIVATE_STORAGE = tmp_path / "private"
    install_authority()


def signed(act, timeout: float = 120) -> ProceduralAct:
    return wait_for(
        lambda: ProceduralAct.objects.filter(pk=act.pk, status=ActStatus.SIGNED).first(),
        timeout=timeout,
        interval=0.2,
        what=f"act {act.pk} to be signed",
    )


def rendering_state(act, role: str = "author") -> str:
    return ActRendering.objects.get(act=act, role=role).state


def stored_files(settings) -> list:
    return [sha for sha, _stored_at in blobs.iter_blobs()]


def assert_exactly_one_signed_pdf(act, settings, signers=None) -> bytes:
    """Sealed once; one signature per role (``signers``: role → user; the author's alone by default), each
    appended once, in order, to the one PDF; no other file stored."""
    act = ProceduralAct.objects.get(pk=act.pk)
    signers = signers or {"author": act.author}
    renderings = list(ActRendering.objects.filter(act=act).order_by("step"))
    assert act.status == ActStatus.SIGNED
    assert [(r.role, r.signer, r.state, r.act_version) for r in renderings] == [
        (role, user, RenderingState.SIGNED, act.content_version) for role, user in signers.items()
    ]
    assert renderings[-1].pdf_sha256 == act.pdf_sha256
    assert ActTransition.objects.filter(act=act, action=ActAction.SEAL).count() == 1
    assert AuditEvent.objects.filter(case_id=act.case_id, event="act.transition", data__action="seal").count() == 1
    # Each signature is an incremental update of the file before it: one stored revision per signature.
    assert sorted(stored_files(settings)) == sorted(r.pdf_sha256 for r in renderings)
    pdf = pdf_read(act.pdf_sha256)
    assert hashlib.sha256(pdf).hexdigest() == act.pdf_sha256 and verify_pdf(pdf).valid
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert len(embedded) == len(signers)
    context = ValidationContext(trust_roots=trust_roots())
    for signature, user in zip(embedded, signers.values(), strict=True):
        status = validate_pdf_signature(signature, context)
        assert status.bottom_line and status.signing_cert.subject.native["common_name"] == user.get_full_name()
    return pdf


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_authors_signature_on_the_page_yields_a_signed_pdf_from_a_real_worker(
    workers, signing_setup, settings, tmp_path, case, investigator
):
    workers.start(concurrency=2).wait_ready()
    certify(investigator)
    act = drafted_act(case, investigator)  # a victim recognition: the author's signature alone
    response = verified_client(investigator).post(reverse("cases:act-transition", args=[act.pk]), {"action": "sign"})
    assert response.status_code == 302 and ProceduralAct.objects.get(pk=act.pk).status in (
        ActStatus.APPROVED,
        ActStatus.SIGNED,
    )
    act = signed(act)
    pdf = assert_exactly_one_signed_pdf(act, settings)
    text = pdf_text(pdf)
    assert all(letter in text for letter in KAZAKH_LETTERS.replace(" ", "")) and case.registration_number in text
    assert verified_client(investigator).get(reverse("cases:act", args=[act.pk])).get("Refresh") is None

    path = tmp_path / "act.pdf"
    path.write_bytes(pdf)
    valid = manage("verify_act", str(path), env=workers.env())
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert f"Signer: {investigator.get_full_name()}" in valid.stdout and valid.stdout.strip().endswith("VALID")
    middle = len(pdf) // 2  # inside the page content, which the signature covers
    path.write_bytes(pdf[:middle] + bytes([pdf[middle] ^ 0x01]) + pdf[middle + 1 :])
    invalid = manage("verify_act", str(path), env=workers.env())
    assert invalid.returncode == 1, invalid.stdout + invalid.stderr
    assert invalid.stdout.strip().endswith("INVALID")


def start_long_render(case, investigator, supervisor) -> ProceduralAct:
    """A victim recognition (the author's signature alone) signed with a long body; the worker is rendering it."""
    certify(investigator)
    act = author_signed_act(case, investigator, language="kk", body=LONG_BODY)  # published on commit
    wait_for(
        lambda: rendering_state(act) == RenderingState.RENDERING,
        timeout=90,
        interval=0.02,
        what="the worker to start rendering",
    )
    return act


def assert_killed_mid_render(act) -> None:
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.APPROVED, (
        "the render finished before the kill: LONG_BODY is too short for this machine"
    )


def test_a_pool_process_killed_mid_render_hands_its_task_back_and_one_pdf_results(
    workers, signing_setup, settings, case, investigator, supervisor
):
    worker = workers.start(concurrency=1).wait_ready()
    act = start_long_render(case, investigator, supervisor)
    [child] = worker.pool_children()
    subprocess.run(["kill", "-KILL", str(child)], check=True)
    assert_killed_mid_render(act)
    # task_reject_on_worker_lost + acks_late: the message goes back to the queue, a new pool process takes it.
    signed(act)
    assert_exactly_one_signed_pdf(act, settings)
    assert ActRendering.objects.get(act=act).attempts == 2
    assert "WorkerLostError" in worker.output() or "signal 9" in worker.output()


def test_a_worker_killed_mid_render_and_restarted_signs_within_30_s_and_exactly_once(
    workers, signing_setup, settings, case, investigator, supervisor
):
    # The whole worker dies (SIGKILL to its process group: no chance to hand anything back).
    # Its message stays unacknowledged in Redis until the visibility timeout; the database
    # still says the act has no PDF, and nobody holds its rendering's row lock any more, so the
    # restarted worker's sweep (default settings: every 5 s) re-enqueues it at once.
    first = workers.start(concurrency=1, beat=True).wait_ready()
    act = start_long_render(case, investigator, supervisor)
    first.kill()
    assert_killed_mid_render(act)
    assert rendering_state(act) == RenderingState.RENDERING
    workers.start(concurrency=1, beat=True).wait_ready()
    reclaimed_within(act, seconds=30)  # from the moment the restarted worker is ready
    signed(act)
    assert_exactly_one_signed_pdf(act, settings)
    assert ActRendering.objects.get(act=act).attempts == 2


def test_a_database_outage_mid_render_is_retried_and_signs_within_30_s_exactly_once(
    workers, signing_setup, settings, case, investigator, supervisor
):
    # Every database connection of the worker is killed while it renders (as a restarted or failed-over
    # server does to its clients). The render's transaction is gone with its connection; the task
    # reconnects, postpones with backoff, and the retry signs. Nothing is signed twice.
    workers.start(concurrency=1, beat=True).wait_ready()
    act = start_long_render(case, investigator, supervisor)
    assert terminate_other_backends(), "the worker had no database connection to kill"
    assert_killed_mid_render(act)
    reclaimed_within(act, seconds=30)  # from the moment the database is reachable again
    signed(act)
    assert_exactly_one_signed_pdf(act, settings)
    assert ActRendering.objects.get(act=act).attempts == 2


def reclaimed_within(act, *, seconds: float) -> None:
    """A worker claims the rendering again (its second attempt) within ``seconds``."""
    wait_for(
        lambda: ActRendering.objects.get(act=act).attempts >= 2,
        timeout=seconds,
        interval=0.2,
        what=f"act {act.pk}'s rendering to be claimed again",
    )


def terminate_other_backends() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for ok, pid in cursor.fetchall() if ok]


def test_the_same_task_delivered_twice_yields_one_pdf(workers, signing_setup, settings, case, investigator, supervisor):
    certify(investigator)
    act = author_signed_act(case, investigator, language="ru", body=LONG_BODY[:200_000])  # published once
    rendering = ActRendering.objects.get(act=act)
    celery_app.send_task("cases.render_act", args=[rendering.pk], queue=workers.queue)  # and once more
    worker = workers.start(concurrency=2).wait_ready()  # both messages reach the two pool processes together
    signed(act)
    wait_for(
        lambda: worker.output().count("cases.render_act[") >= 4, timeout=60, what="both deliveries to finish"
    )  # "received" and "succeeded" for each
    assert_exactly_one_signed_pdf(act, settings)
    # The second delivery either claims after the first has signed ("nothing to do") or claims
    # while it renders and then waits on the rendering's row lock and finds the act signed; which
    # one depends on the scheduler. Both deliveries succeed, and the act was signed exactly once.
    assert worker.output().count("succeeded") >= 2


def test_with_redis_down_the_signature_commits_and_the_sweep_renders_once_redis_is_back(
    workers, signing_setup, settings, tmp_path, case, investigator, supervisor
):
    broker = ThrowawayRedis(tmp_path)
    assert not broker.alive(), f"port {broker.port} is taken: this test needs it for a Redis of its own"
    broker.start()
    try:
        workers.start(concurrency=1, beat=True, redis_url=broker.url, ECASE_RENDER_SWEEP_SECONDS="1").wait_ready()
        certify(investigator)
        broker.stop()
        with broker_at(celery_app, broker.url):
            began = time.monotonic()
            act = author_signed_act(case, investigator, language="kk")
            took = time.monotonic() - began
        rendering = ActRendering.objects.get(act=act)
        assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.APPROVED  # the signature committed
        assert rendering.state == RenderingState.QUEUED and rendering.published_at is None
        assert took < 15, f"the signature waited {took:.1f} s for the broker"
        broker.start()  # an empty Redis: whatever it held is gone, the database still knows
        signed(act)
        assert_exactly_one_signed_pdf(act, settings)
    finally:
        broker.stop()


def test_an_indictment_gets_three_signatures_once_each_through_a_killed_pool_process_and_duplicates(
    workers, signing_setup, settings, case, investigator, supervisor, prosecutor
):
    """The author signs, the head of unit approves, the prosecutor agrees (issue #17): three signatures
    queued before any worker runs, each message delivered twice, and the pool process killed while it
    renders the first. Exactly one signature per role lands in the one PDF, in order, and one seal."""
    for user in (investigator, supervisor, prosecutor):
        certify(user)
    act = author_signed_act(case, investigator, code="indictment", language="kk", body=LONG_BODY)
    act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=supervisor)
    act = act_transition(act_id=act.pk, action=ActAction.AGREE, actor=prosecutor)
    assert act.status == ActStatus.APPROVED
    renderings = list(ActRendering.objects.filter(act=act).order_by("step").values_list("pk", flat=True))
    assert len(renderings) == 3
    for rendering_id in renderings:  # a second message for each signature (a broker redelivery)
        celery_app.send_task("cases.render_act", args=[rendering_id], queue=workers.queue)
    worker = workers.start(concurrency=1).wait_ready()  # no beat: its process would be a second child
    wait_for(
        lambda: rendering_state(act, "author") == RenderingState.RENDERING,
        timeout=90,
        interval=0.02,
        what="the worker to start rendering the author's signature",
    )
    [child] = worker.pool_children()
    subprocess.run(["kill", "-KILL", str(child)], check=True)
    assert_killed_mid_render(act)
    assert rendering_state(act, "approver") == rendering_state(act, "prosecutor") == RenderingState.QUEUED
    signed(act, timeout=180)
    assert_exactly_one_signed_pdf(
        act, settings, signers={"author": investigator, "approver": supervisor, "prosecutor": prosecutor}
    )
    assert ActRendering.objects.get(act=act, role="author").attempts == 2
    assert ProceduralAct.objects.get(pk=act.pk).in_force


def test_the_prosecutors_refusal_on_the_page_is_their_own_act_signed_by_a_real_worker(
    workers, signing_setup, settings, case, investigator, supervisor, prosecutor
):
    """Issue #17: refusing to agree an act draws up the prosecutor's own decision, which a worker signs
    with the prosecutor's certificate — the refused act's own round goes on beside it."""
    for user in (investigator, supervisor, prosecutor):
        certify(user)
    act = author_signed_act(case, investigator, code="misdemeanour_protocol", language="ru")
    act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=supervisor)
    workers.start(concurrency=2).wait_ready()
    response = verified_client(prosecutor, reauthenticated=True).post(
        reverse("cases:act-transition", args=[act.pk]), {"action": "refuse", "reason": "Не опрошены очевидцы."}
    )
    assert response.status_code == 302
    decision = ActTransition.objects.get(act=act, action=ActAction.REFUSE).decision_act
    assert decision.author == prosecutor and decision.act_type.code == "agreement_refusal"
    decision = signed(decision)
    [rendering] = ActRendering.objects.filter(act=decision)
    assert (rendering.role, rendering.signer, rendering.state) == ("author", prosecutor, RenderingState.SIGNED)
    pdf = pdf_read(decision.pdf_sha256)
    verification = verify_pdf(pdf, expected_roles=["author"])
    assert verification.valid and [(s.role, s.signer) for s in verification.signatures] == [
        ("author", prosecutor.get_full_name())
    ]
    assert "Не опрошены очевидцы." in pdf_text(pdf)
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.REFUSED
