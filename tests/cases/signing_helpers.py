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
        "date": timezone.localdate(now).isoformat(),  # the local day, not UTC's
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


def drafted_act(case, author, *, code="victim_recognition", language="kk", body=None):
    """An act of type ``code`` with every field filled, drafted by ``author``."""
    from cases.models import ProceduralActType
    from cases.services.acts import act_create

    act_type = ProceduralActType.objects.get(code=code)
    fields, participant_ids = filled_fields(act_type, case, author)
    return act_create(
        case_id=case.pk,
        actor=author,
        act_type=act_type,
        language=language,
        place="Астана қ.",
        fields=fields,
        participant_ids=participant_ids,
        body=body if body is not None else f"Барлық қазақ әріптері: {KAZAKH_LETTERS}.",
    )


def author_signed_act(case, author, *, code="victim_recognition", **kwargs):
    """Drafted (see drafted_act) and signed by its author: its first signature is queued (issue #17)."""
    from cases.act_transitions import ActAction
    from cases.services.act_workflow import act_transition

    act = drafted_act(case, author, code=code, **kwargs)
    return act_transition(act_id=act.pk, action=ActAction.SIGN, actor=author)


# The act type the head of unit's approval tests use: it needs approval (and then the prosecutor's
# agreement) by the requirements table (cases/data/act_types.json).
APPROVAL_TYPE = "misdemeanour_protocol"


def submitted_act(case, author, *, code=APPROVAL_TYPE, **kwargs):
    """Signed by its author and awaiting the head of unit's approval."""
    return author_signed_act(case, author, code=code, **kwargs)


def approved_act(case, author, approver, *, code=APPROVAL_TYPE, **kwargs):
    """A submitted act (see submitted_act), approved by ``approver``: now awaiting the prosecutor."""
    from cases.act_transitions import ActAction
    from cases.services.act_workflow import act_transition

    act = submitted_act(case, author, code=code, **kwargs)
    return act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=approver)


def render_in_process(act):
    """Run the worker's task for each of the act's queued signatures here, in order (Celery's eager apply)."""
    from cases.choices import RenderingState
    from cases.models import ProceduralAct
    from cases.tasks import render_act

    for rendering_id in (
        act.renderings.filter(state=RenderingState.QUEUED).order_by("act_version", "step").values_list("pk", flat=True)
    ):
        render_act.apply(args=[rendering_id])
    return ProceduralAct.objects.get(pk=act.pk)


def signed_act(case, author, **kwargs):
    """Signed by its author and sealed: an act that needs nothing else (victim recognition by default)."""
    certify(author)
    return render_in_process(author_signed_act(case, author, **kwargs))


def fully_signed_act(case, author, approver, prosecutor, *, code="indictment", **kwargs):
    """Signed by its author, approved by the head of unit, agreed by the prosecutor, every signature
    on its PDF and the act sealed: the three-signature act of issue #17."""
    from cases.act_transitions import ActAction
    from cases.services.act_workflow import act_transition

    for user in (author, approver, prosecutor):
        certify(user)
    act = author_signed_act(case, author, code=code, **kwargs)
    act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=approver)
    act = act_transition(act_id=act.pk, action=ActAction.AGREE, actor=prosecutor)
    return render_in_process(act)


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
