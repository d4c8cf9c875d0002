"""Policy entries for the signed-act routes (issue #5); merged into tests/policy.py."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.policy import READERS, Route


def _signed_act_pdf(world, own: bool) -> str:
    """The PDF route of a really signed act of the own case; the foreign case's act answers 404 before any PDF."""
    if not own:
        return reverse("cases:act-pdf", args=[world.objects[False]["act"].pk])
    from cases.act_transitions import ActAction
    from cases.services.act_workflow import act_transition
    from cases.services.acts import act_create
    from tests.cases.signing_helpers import certify, render_in_process

    people = world.people
    act = act_create(
        case_id=world.case.pk,
        actor=people["investigator"],
        act_type=world.act_type,
        language="kk",
        place="Астана",
        body="Қол қойылған акт.",
    )
    # The sweep's act type needs its author's signature alone (tests/test_access_sweep.py).
    act = act_transition(act_id=act.pk, action=ActAction.SIGN, actor=people["investigator"])
    certify(people["investigator"])
    return reverse("cases:act-pdf", args=[render_in_process(act).pk])


def _verify(world, own: bool) -> str:
    return reverse("verify:act", args=[world.objects[own]["act"].verification_token])


def _trust_roots(world, own: bool) -> str:
    from tests.cases.signing_helpers import install_authority

    install_authority()
    return reverse("verify:trust-roots")


POLICY: dict = {
    "cases:act-pdf": Route(obj="act", allowed=READERS, url=_signed_act_pdf),
    # Public: the QR code's page answers everyone alike, and shows no case content.
    "verify:act": Route(public=True, url=_verify),
    "verify:act#post": Route(
        public=True,
        method="POST",
        url=_verify,
        data=lambda w: {"file": SimpleUploadedFile("copy.pdf", b"%PDF-1.7 not signed")},
    ),
    "verify:trust-roots": Route(public=True, url=_trust_roots),
}
