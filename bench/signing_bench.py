"""Benchmark of signed acts (issue #5): render + sign per act, a worker's throughput, the workflow's overhead.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python bench/signing_bench.py [--acts 40] [--burst 60] [--chains 10]

Works in a database of its own (``test_<name>``, created and dropped here) and a Redis queue
of its own. Measures, on one two-page act in Russian:

* bare: reportlab rendering plus a pyHanko PAdES signature with a key already loaded;
* workflow: the Celery task's body in this process (claim, render, open the approver's
  encrypted key, sign, store with fsync, record the signature with its transition, history
  and audit rows);
* worker: a real ``celery worker -c 2`` process: the task's time as the worker recorded it,
  and the time from the approval's commit to the signed PDF, one act at a time;
* throughput: a burst of approvals committed together, rendered by that worker.

Writes bench/RESULTS_SIGNING.md and refreshes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecase.settings")
STORAGE = Path(tempfile.mkdtemp(prefix="ecase-signing-bench-"))
QUEUE = f"ecase-bench-{uuid.uuid4().hex[:8]}"
os.environ.update(
    ECASE_PRIVATE_STORAGE=str(STORAGE), ECASE_RENDER_QUEUE=QUEUE, ECASE_SIGNING_PASSPHRASE=secrets.token_urlsafe(24)
)

import django  # noqa: E402

django.setup()
logging.getLogger("celery").setLevel(logging.WARNING)  # the in-process task runs log every success

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import results  # noqa: E402

BODY_PARAGRAPH = (
    "Свидетель показал, что около 21 часа находился у подъезда дома № 12 по улице Кенесары и видел, "
    "как неизвестный мужчина выхватил у потерпевшей сумку и скрылся во дворе; приметы описал подробно."
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def open_key_times(signer, runs: int) -> list[float]:
    """Opening the signer's encrypted PKCS#12 bundle, which the task does for every signature."""
    from pyhanko.sign import signers

    from cases.models import SigningCertificate
    from cases.signing.passphrase import signing_passphrase

    bundle, passphrase = bytes(SigningCertificate.objects.get(user=signer).pkcs12), signing_passphrase()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        signers.SimpleSigner.load_pkcs12_data(bundle, [], passphrase=passphrase)
        times.append(time.perf_counter() - started)
    return times


def summary(values: list[float]) -> tuple[float, float]:
    return statistics.median(values) * 1000, percentile(values, 0.95) * 1000


def build_world():
    from accounts.choices import Role, UnitKind
    from accounts.models import Unit
    from accounts.services import user_create
    from cases.models import CriminalCodeArticle
    from cases.services.certificates import certificate_issue
    from cases.services.registration import case_register

    unit = Unit.objects.create(
        code="BENCH", name_ru="ДП г. Астаны", name_kk="Астана қ. ПД", kind=UnitKind.REGION, city="Астана"
    )
    people = {
        role: user_create(
            actor=None,
            username=f"bench.{role}",
            role=role,
            unit=unit,
            password=None,
            last_name=last,
            first_name=first,
            position=position,
        )
        for role, last, first, position in (
            (Role.INVESTIGATOR, "Ахметов", "Нұрлан", "Следователь СУ ДП г. Астаны"),
            (Role.SUPERVISOR, "Серікова", "Әсем", "Начальник СУ ДП г. Астаны"),
            (Role.PROSECUTOR, "Оспанов", "Бауыржан", "Прокурор г. Астаны"),
        )
    }
    investigator, supervisor = people[Role.INVESTIGATOR], people[Role.SUPERVISOR]
    case = case_register(
        actor=investigator,
        unit=unit,
        articles=[CriminalCodeArticle.objects.get(article="188", part=1)],
        proceedings_form="inquiry",
        plot="Открыто похитил сумку у потерпевшей.",
        registered_at=timezone.now() - timedelta(days=2),
        prosecutor=people[Role.PROSECUTOR],
    )
    # Everyone who decides signs with their own key (issue #17): the author, the head of unit, the prosecutor.
    for user in people.values():
        certificate_issue(user=user, actor=None, actor_label="signing benchmark")
    return case, investigator, supervisor, people[Role.PROSECUTOR]


def approve(case, investigator, supervisor, *, paragraphs: int):
    """A two-page interrogation protocol signed by its author through the workflow: a protocol needs no
    other decision (issue #17), so it is decided and its one signature is queued."""
    from cases.act_transitions import ActAction
    from cases.choices import ParticipantRole
    from cases.models import ProceduralActType
    from cases.services.act_workflow import act_transition
    from cases.services.acts import act_create
    from cases.services.participants import participant_add

    witness = case.participants.filter(role=ParticipantRole.WITNESS).first() or participant_add(
        case_id=case.pk,
        actor=investigator,
        role=ParticipantRole.WITNESS,
        person_data={
            "iin": None,
            "last_name": "Сәрсенбаев",
            "first_name": "Әділ",
            "birth_date": "1985-03-14",
            "sex": "M",
        },
    )
    now = timezone.now().replace(microsecond=0)
    fields = {
        "place": "г. Астана, ул. Кенесары, 40",
        "start_time": now.isoformat(),
        "end_time": (now + timedelta(hours=1)).isoformat(),
        "interrogated": witness.pk,
        "rights_explained": "yes",
        "liability_warned": "yes",
        "testimony": "Показания изложены ниже.",
    }
    act = act_create(
        case_id=case.pk,
        actor=investigator,
        language="ru",
        place="г. Астана",
        fields=fields,
        act_type=ProceduralActType.objects.get(code="interrogation_witness"),
        participant_ids=[witness.pk],
        body="\n".join([BODY_PARAGRAPH] * paragraphs),
    )
    return act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)


def page_count(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"])


def two_page_paragraphs(case, investigator, supervisor) -> int:
    """The body length that makes the act exactly two pages."""
    from cases.pdf.document import render_act_pdf

    for paragraphs in range(4, 40):
        with transaction.atomic():
            act = approve(case, investigator, supervisor, paragraphs=paragraphs)
            pages = page_count(render_act_pdf(act.renderings.get().snapshot))
            transaction.set_rollback(True)
        if pages == 2:
            return paragraphs
    raise RuntimeError("no body length gives two pages")


def bare(snapshot: dict, signer_user, runs: int) -> dict[str, list[float]]:
    """reportlab + pyHanko alone on the same act, the key loaded once."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from cases.models import SigningCertificate
    from cases.pdf.document import render_act_pdf
    from cases.signing.pades import RESERVED_BYTES
    from cases.signing.passphrase import signing_passphrase

    certificate = SigningCertificate.objects.filter(user=signer_user).get()
    signer = signers.SimpleSigner.load_pkcs12_data(bytes(certificate.pkcs12), [], passphrase=signing_passphrase())
    metadata = signers.PdfSignatureMetadata(
        field_name="ApproverSignature", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    times = {"render": [], "sign": [], "total": []}
    for _ in range(runs):
        started = time.perf_counter()
        pdf = render_act_pdf(snapshot)
        rendered = time.perf_counter()
        signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)), metadata, signer=signer, bytes_reserved=RESERVED_BYTES
        ).getvalue()
        done = time.perf_counter()
        times["render"].append(rendered - started)
        times["sign"].append(done - rendered)
        times["total"].append(done - started)
    return times


class StepClock:
    """Wall time of named functions while the task runs: the task's own render + sign set beside
    the bare pair, and where the rest of the task goes. Timing wrappers only, for this process'
    life: nothing the task does is replaced."""

    def __init__(self):
        self.steps: dict[str, list[float]] = {}
        self.current: dict[str, float] = {}

    def wrap(self, owner, name: str, step: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.current[step] = self.current.get(step, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)

    def next_act(self) -> None:
        for step, seconds in self.current.items():
            self.steps.setdefault(step, []).append(seconds)
        self.current = {}


def workflow_in_process(acts, clock: StepClock | None = None) -> list[float]:
    from cases.tasks import render_act

    times = []
    for act in acts:
        started = time.perf_counter()
        assert render_act.apply(args=[act.renderings.get().pk]).get() == "signed"
        times.append(time.perf_counter() - started)
        if clock:
            clock.next_act()
    return times


def step_clock() -> StepClock:
    """Times the task's steps where cases/services/act_rendering.py calls them."""
    from cases.services import act_rendering, act_workflow
    from cases.signing import server

    clock = StepClock()
    clock.wrap(act_rendering, "render_act_pdf", "render")
    clock.wrap(server.ServerKeySigner, "sign", "sign")
    clock.wrap(act_rendering, "pdf_store", "store (encrypted blob, fsync)")
    clock.wrap(act_workflow, "act_seal", "record (transition, history, audit)")
    return clock


def database_url() -> str:
    from urllib.parse import quote

    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="") + (
        ":" + quote(db["PASSWORD"], safe="") if db.get("PASSWORD") else ""
    )
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(concurrency: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=database_url())
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ecase",
            "worker",
            "-Q",
            QUEUE,
            "-c",
            str(concurrency),
            "-n",
            f"{QUEUE}@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while " ready." not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    return process


def wait_signed(acts, timeout: float = 600) -> None:
    from cases.choices import ActStatus
    from cases.models import ProceduralAct

    ids = [a.pk for a in acts]
    deadline = time.monotonic() + timeout
    while ProceduralAct.objects.filter(pk__in=ids, status=ActStatus.SIGNED).count() < len(ids):
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not sign every act in time")
        time.sleep(0.02)


def forget_queue() -> None:
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}")


def run(args) -> str:
    from cases.models import ActRendering

    case, investigator, supervisor, prosecutor = build_world()
    paragraphs = two_page_paragraphs(case, investigator, supervisor)

    sample = approve(case, investigator, supervisor, paragraphs=paragraphs)
    bare_times = bare(sample.renderings.get().snapshot, investigator, args.acts)
    bare_times["open key"] = open_key_times(investigator, args.acts)
    acts = [approve(case, investigator, supervisor, paragraphs=paragraphs) for _ in range(args.acts)]
    clock = step_clock()
    flow_times = workflow_in_process([sample, *acts], clock)[1:]
    steps = {step: values[1:] for step, values in clock.steps.items()}
    steps["render + sign"] = [r + g for r, g in zip(steps["render"], steps["sign"])]
    forget_queue()  # their messages were published on commit; the work is done, drop them

    worker = start_worker(2, STORAGE / "worker.log")
    try:
        latency, task = [], []
        for _ in range(args.acts):
            act = approve(case, investigator, supervisor, paragraphs=paragraphs)
            wait_signed([act])
            rendering = ActRendering.objects.get(act=act)
            latency.append((rendering.finished_at - rendering.queued_at).total_seconds())
            task.append((rendering.finished_at - rendering.started_at).total_seconds())
        with transaction.atomic():  # a burst: the approvals commit together, the messages leave together
            committed = []
            transaction.on_commit(lambda: committed.append(time.perf_counter()))  # runs before the publishing
            burst = [approve(case, investigator, supervisor, paragraphs=paragraphs) for _ in range(args.burst)]
        wait_signed(burst)
        elapsed = time.perf_counter() - committed[0]
        chains = three_signature_chains(case, [investigator, supervisor, prosecutor], args.chains)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        forget_queue()
    bare_three = bare_chain(chains.sample_snapshot, [investigator, supervisor, prosecutor], args.chains)
    return report(
        args, paragraphs, bare_times, flow_times, task, latency, len(burst) / elapsed, elapsed, steps
    ) + chain_report(args, chains, bare_three)


CHAIN_TYPE = "indictment"  # the head of unit approves it and the prosecutor agrees to it (cases/data/act_types.json)
CHAIN_STEPS = ("sign", "approve", "agree")


@dataclass
class Chains:
    """Per step of the chain (author, head of unit, prosecutor): the decision committed → its signature
    on the PDF, and the worker's own time for it; per act: the file's check of its three signatures."""

    latency: dict[str, list[float]] = field(default_factory=dict)
    task: dict[str, list[float]] = field(default_factory=dict)
    verified: list[bool] = field(default_factory=list)
    sample_snapshot: dict = field(default_factory=dict)


def wait_signatures(act, count: int, timeout: float = 120):
    """The act's ``count``-th signature on its PDF (renderings signed in their order)."""
    from cases.choices import RenderingState
    from cases.models import ActRendering

    deadline = time.monotonic() + timeout
    while True:
        done = list(ActRendering.objects.filter(act=act, state=RenderingState.SIGNED).order_by("act_version", "step"))
        if len(done) >= count:
            return done[count - 1]
        if time.monotonic() > deadline:
            raise RuntimeError(f"act {act.pk}: signature {count} not on the PDF in time")
        time.sleep(0.01)


def three_signature_chains(case, people, runs: int) -> Chains:
    """Acts decided step by step as people do, each step waiting for the previous signature on the PDF."""
    from cases.act_transitions import ActAction
    from cases.pdf.storage import pdf_read
    from cases.services.act_workflow import act_transition
    from cases.signing.verify import verify_pdf
    from tests.cases.signing_helpers import drafted_act

    chains = Chains(latency={s: [] for s in CHAIN_STEPS}, task={s: [] for s in CHAIN_STEPS})
    for _ in range(runs):
        act = drafted_act(case, people[0], code=CHAIN_TYPE, language="ru")
        for number, (step, person) in enumerate(zip(CHAIN_STEPS, people), start=1):
            act = act_transition(act_id=act.pk, action=ActAction(step), actor=person)  # its own transaction
            committed = timezone.now()
            rendering = wait_signatures(act, number)
            chains.latency[step].append((rendering.finished_at - committed).total_seconds())
            chains.task[step].append((rendering.finished_at - rendering.started_at).total_seconds())
        wait_signed([act])
        act.refresh_from_db()
        chains.sample_snapshot = act.renderings.order_by("step").first().snapshot
        result = verify_pdf(pdf_read(act.pdf_sha256), expected_roles=["author", "approver", "prosecutor"])
        chains.verified.append(result.valid and len(result.signatures) == 3)
    return chains


def bare_chain(snapshot: dict, people, runs: int) -> list[float]:
    """reportlab + three pyHanko signatures appended in turn (incremental updates), the keys loaded once."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from cases.models import SigningCertificate
    from cases.pdf.document import render_act_pdf
    from cases.signing.pades import RESERVED_BYTES
    from cases.signing.passphrase import signing_passphrase

    keys = [
        signers.SimpleSigner.load_pkcs12_data(
            bytes(SigningCertificate.objects.filter(user=person).get().pkcs12), [], passphrase=signing_passphrase()
        )
        for person in people
    ]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        pdf = render_act_pdf(snapshot)
        for n, key in enumerate(keys):
            metadata = signers.PdfSignatureMetadata(
                field_name=f"Signature{n}", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
            )
            pdf = signers.sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf)), metadata, signer=key, bytes_reserved=RESERVED_BYTES
            ).getvalue()
        times.append(time.perf_counter() - started)
    return times


def chain_report(args, chains: Chains, bare_three: list[float]) -> str:
    per_act = [sum(chains.task[s][i] for s in CHAIN_STEPS) for i in range(len(chains.verified))]
    labels = {"sign": "the author's signature", "approve": "the head of unit's", "agree": "the prosecutor's"}
    rows = [
        *(
            (f"worker -c 2: {labels[s]} — decision committed → on the PDF", *summary(chains.latency[s]))
            for s in CHAIN_STEPS
        ),
        *((f"worker -c 2: {labels[s]} — the worker's time", *summary(chains.task[s])) for s in CHAIN_STEPS),
        ("**worker: the three signatures' task time, per act**", *summary(per_act)),
        ("**bare: render + three signatures appended in turn**", *summary(bare_three)),
    ]
    ratio = statistics.median(per_act) / statistics.median(bare_three)
    return "\n".join(
        [
            "## Three signatures on one act: author, head of unit, prosecutor (issue #17)",
            "",
            f"{args.chains} indictments decided as people decide them: each step committed after the previous "
            "signature is on the PDF, with the same worker (-c 2). Each signature is its own task that renders the "
            "act's PDF for the first one and appends an incremental PAdES signature for the others.",
            "",
            "| measurement | median, ms | p95, ms |",
            "|---|---:|---:|",
            *(f"| {name} | {median:.1f} | {p95:.1f} |" for name, median, p95 in rows),
            "",
            f"* **Three signatures' task time ÷ bare render + three signatures: {ratio:.2f}×** (median over median, "
            "same run): each task also claims its job, reads the previous file, stores the new one and records it.",
            f"* **Files checked:** {sum(chains.verified)} of {len(chains.verified)} carry three intact signatures "
            "in the order author, head of unit, prosecutor (`verify_pdf` with the expected roles).",
            "",
        ]
    )


def report(args, paragraphs, bare_times, flow_times, task, latency, throughput, elapsed, steps) -> str:
    rows = [
        ("bare: reportlab render", *summary(bare_times["render"])),
        ("bare: pyHanko PAdES signature (key loaded once)", *summary(bare_times["sign"])),
        ("**bare: render + sign**", *summary(bare_times["total"])),
        ("opening the approver's encrypted key (PKCS#12, PBKDF2 100,000 rounds)", *summary(bare_times["open key"])),
        (
            "**workflow: the task's body in-process** (claim, render, sign with the key opened once per process, store, record)",
            *summary(flow_times),
        ),
        ("task, its render step", *summary(steps["render"])),
        ("task, its sign step (key opened once per process)", *summary(steps["sign"])),
        ("**task: render + sign**", *summary(steps["render + sign"])),
        ("task, storing the PDF (encrypted blob, fsync)", *summary(steps["store (encrypted blob, fsync)"])),
        (
            "task, recording the signature (transition, history, audit)",
            *summary(steps["record (transition, history, audit)"]),
        ),
        ("worker -c 2: task time as recorded by the worker (claimed → signed)", *summary(task)),
        ("worker -c 2: approval committed → signed PDF, one act at a time", *summary(latency)),
    ]
    ratio = statistics.median(flow_times) / statistics.median(bare_times["total"])
    sign_ratio = statistics.median(steps["render + sign"]) / statistics.median(bare_times["total"])
    lines = [
        "# Signed acts: render + sign benchmark (issue #5)",
        "",
        f"`python bench/signing_bench.py --acts {args.acts} --burst {args.burst} --chains {args.chains}` on {timezone.now():%Y-%m-%d}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"PostgreSQL and Redis on localhost. One act: an interrogation protocol in Russian, exactly two pages "
        f"({paragraphs} paragraphs of testimony), PT Sans embedded, QR code on each page, RSA-2048 PAdES B-B "
        f"signature. {args.acts} acts per row. Load average at the end (1/5/15 min): "
        f"{' / '.join(f'{load:.2f}' for load in os.getloadavg())} — other processes on the machine make the "
        f"absolute figures noisy; the ratio compares runs made side by side.",
        "",
        "| measurement | median, ms | p95, ms |",
        "|---|---:|---:|",
        *(f"| {name} | {median:.1f} | {p95:.1f} |" for name, median, p95 in rows),
        "",
        f"* **Task render + sign ÷ bare render + sign: {sign_ratio:.2f}×** (goal ≤ 1.3×; median over median, "
        "same run): the task's render and sign steps, timed where cases/services/act_rendering.py calls them, "
        "against reportlab + pyHanko alone on the same act with the key loaded once. The task opens the "
        "approver's key once per process (cases/signing/server.py), so the first act (excluded) pays it.",
        f"* **Whole task body ÷ bare render + sign: {ratio:.2f}×**: besides render and sign, the claim, storing "
        "the PDF as an encrypted blob with fsync, and the locked transaction that records the signature "
        "(transition, history and audit rows); each commit waits for the WAL's fsync, which a shared disk makes "
        "slow and noisy.",
        f"* **Throughput of one worker, concurrency 2:** {throughput:.1f} signed acts per second "
        f"({args.burst} approvals committed at once, all signed {elapsed:.1f} s after the commit).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--acts", type=int, default=40)
    parser.add_argument("--burst", type=int, default=60)
    parser.add_argument(
        "--chains", type=int, default=10, help="three-signature acts (author, head of unit, prosecutor)"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL (PostgreSQL) and REDIS_URL")
    connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_signing_bench"
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"signing benchmark in database {database}, queue {QUEUE}", file=sys.stderr)
    try:
        text = run(args)
    finally:
        connection.creation.destroy_test_db(database, verbosity=0)
    (ROOT / "bench" / "RESULTS_SIGNING.md").write_text(text)
    results.refresh()
    print(text)


if __name__ == "__main__":
    main()
