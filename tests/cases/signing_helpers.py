"""Signing in tests: a fixed passphrase, private storage per test, and one CA root per run.

Generating the built-in CA's 3072-bit root costs up to a second; the root material is made
once per passphrase and installed as the authority row of each test's database.
"""

from __future__ import annotations

from functools import cache

from cases.models import SigningAuthority, SigningCertificate
from cases.services.certificates import certificate_issue
from cases.signing.authority import BUILTIN, root_material
from cases.signing.passphrase import signing_passphrase

TEST_PASSPHRASE = "test-signing-passphrase-for-the-suite"


@cache
def _root(passphrase: str) -> tuple[str, str]:
    return root_material(passphrase.encode())


def install_authority() -> SigningAuthority:
    existing = SigningAuthority.objects.filter(name=BUILTIN).first()
    if existing is not None:
        return existing
    certificate_pem, key_pem = _root(signing_passphrase().decode())
    return SigningAuthority.objects.create(name=BUILTIN, certificate_pem=certificate_pem, private_key_pem=key_pem)


def certify(user) -> SigningCertificate:
    install_authority()
    return certificate_issue(user=user, actor=None, actor_label="test suite")[0]


KAZAKH_LETTERS = "әғқңөұүһі ӘҒҚҢӨҰҮҺІ"


def filled_fields(act_type, case, author) -> tuple[dict, list[int]]:
    """Plausible values for every field of ``act_type`` (references made in ``case``), and the participants named."""
    from django.utils import timezone

    from cases.choices import ParticipantRole
    from cases.services.participants import participant_add
    from tests.evidence.helpers import add_item
    from tests.factories import person_data

    participant = participant_add(
        case_id=case.pk,
        actor=author,
        role=ParticipantRole.VICTIM,
        person_data=person_data(last_name="Сәрсенбаев", first_name="Әділ"),
    )
    item = add_item(case, author, description="Ұялы телефон Samsung")
    now = timezone.now().replace(microsecond=0)
    by_type = {
        "participant": participant.pk,
        "participants": [participant.pk],
        "evidence": item.pk,
        "article": "188-1",
        "date": now.date().isoformat(),
        "datetime": now.isoformat(),
        "integer": 150000,
        "textarea": f"Мәтін {KAZAKH_LETTERS}: оқиға болған жер қаралды.\nЕкінші абзац.",
        "text": "Нұр-Сұлтан",
        "place": "Астана қ., Қабанбай батыр д., 1",
        "person_name": "Өмірзақова Гүлнұр",
    }
    values = {}
    for spec in act_type.fields:
        kind = spec.get("type", "text")
        values[spec["name"]] = spec["choices"][0]["value"] if kind == "choice" else by_type.get(kind, "мәтін")
    return values, [participant.pk]


def submitted_act(case, author, *, code="victim_recognition", language="kk", body=None):
    """An act of type ``code`` with every field filled, drafted and submitted through the workflow."""
    from cases.act_transitions import ActAction
    from cases.models import ProceduralActType
    from cases.services.act_workflow import act_transition
    from cases.services.acts import act_create

    act_type = ProceduralActType.objects.get(code=code)
    fields, participant_ids = filled_fields(act_type, case, author)
    act = act_create(
        case_id=case.pk,
        actor=author,
        act_type=act_type,
        language=language,
        place="Астана қ.",
        fields=fields,
        participant_ids=participant_ids,
        body=body if body is not None else f"Барлық қазақ әріптері: {KAZAKH_LETTERS}.",
    )
    return act_transition(act_id=act.pk, action=ActAction.SUBMIT, actor=author)


def approved_act(case, author, approver, **kwargs):
    """A submitted act (see submitted_act), approved by ``approver``: its rendering is queued."""
    from cases.act_transitions import ActAction
    from cases.services.act_workflow import act_transition

    act = submitted_act(case, author, **kwargs)
    return act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=approver)


def render_in_process(act):
    """Run the worker's task for the act's rendering here, synchronously (Celery's eager apply)."""
    from cases.models import ProceduralAct
    from cases.tasks import render_act

    render_act.apply(args=[act.renderings.get().pk])
    return ProceduralAct.objects.get(pk=act.pk)


def signed_act(case, author, approver, **kwargs):
    """A submitted act whose PDF its author and then ``approver`` signed, recorded as signed.

    The PDF is real (rendered and signed by both people's own certificates); the act's row is
    set to what the workflow records once the last signature is in. Only the recording is done
    here: the workflow that calls the signer by role (author, approver, prosecutor) lives in
    cases/services/act_workflow.py and cases/tasks.py.
    """
    from django.utils import timezone

    from cases.choices import ActStatus
    from cases.models import ProceduralAct
    from cases.pdf.storage import pdf_store

    act = submitted_act(case, author, **kwargs)
    pdf = signed_in_turn(author_pdf(act, ["author", "approver"]), act, [(author, "author"), (approver, "approver")])
    act.status, act.pdf_sha256 = ActStatus.SIGNED, pdf_store(pdf[-1])
    act.approved_by, act.signed_by = approver, approver
    act.approved_at = act.signed_at = timezone.now()
    act.save()
    return ProceduralAct.objects.get(pk=act.pk)


def author_pdf(act, roles, *, signed_at=None) -> bytes:
    """The act's base PDF as the author's signature renders it, with a block for each of ``roles``."""
    from django.utils import timezone

    from cases.pdf.document import render_act_pdf
    from cases.pdf.snapshot import act_snapshot

    return render_act_pdf(act_snapshot(act, signature_roles=roles, signed_at=signed_at or timezone.now()))


def signed_in_turn(pdf: bytes, act, signers) -> list[bytes]:
    """``pdf`` signed by each (user, role) of ``signers`` in turn, each with their own certificate;
    the file after each signature, in order."""
    from cases.models import SigningCertificate
    from cases.signing.base import act_signer

    revisions = []
    for user, role in signers:
        if not SigningCertificate.objects.usable().filter(user=user).exists():
            certify(user)
        pdf = (
            act_signer()
            .sign(
                pdf, signer=user, role=role, reason=f"{role}: № {act.number}", location=act.place, language=act.language
            )
            .data
        )
        revisions.append(pdf)
    return revisions
