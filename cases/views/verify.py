"""The public verification page the QR code of every signed act points to (issue #5).

Anyone holding a printed act can check it without an account: whether the act with this
token is signed, by whom in which role (author, approver, prosecutor) and when, and whether their copy is byte-identical to the signed
PDF with a valid signature. The page shows no case content; a signed-in reader of the case
gets a link to the act itself. For an uploaded file with a valid signature it shows which act
the file itself states it is (type and number, the case's registration number — nothing the
file does not contain), and says plainly when that is a different act than this page's.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cases.access.views import PublicView
from ecase import ratelimit
from ecase.client_ip import client_ip

from .. import access
from ..choices import ActStatus
from ..forms import VerifyUploadForm
from ..models import ProceduralAct
from ..pdf.storage import pdf_read
from ..signing.trust import trust_roots_pem
from ..signing.verify import signature_entries, stated_act, verify_pdf


class ActVerifyView(PublicView):
    http_method_names = ["get", "post"]

    def get_act(self, token: str) -> ProceduralAct:
        # The one read of an act outside ``restrict``: the random token (24 bytes) is the
        # capability, and nothing of the case's content is shown for it.
        act = ProceduralAct.objects.filter(verification_token=token).first()
        if act is None:
            raise Http404("unknown token")
        return act

    def context(self, act: ProceduralAct, **extra) -> dict:
        correction = ProceduralAct.objects.filter(supersedes=act, status=ActStatus.SIGNED).first()
        user = self.request.user
        signed = act.status == ActStatus.SIGNED
        return {
            "act": act,
            "signed": signed,
            "superseded_at": correction and correction.signed_at,
            # Who signed, in which role, as the recorded PDF itself says.
            "signatures": signature_entries(pdf_read(act.pdf_sha256)) if signed else (),
            "form": VerifyUploadForm(),
            "readable": user.is_authenticated
            and ProceduralAct.objects.restrict(user, access.VIEW).filter(pk=act.pk).exists(),
            **extra,
        }

    def get(self, request, token):
        return render(request, "cases/verify.html", self.context(self.get_act(token)))

    def post(self, request, token):
        act = self.get_act(token)
        if not ratelimit.allow(
            "verify-upload", client_ip(request), limit=settings.ECASE_VERIFY_UPLOADS_PER_MINUTE, window=60
        ):
            response = render(request, "cases/verify.html", {**self.context(act), "throttled": True}, status=429)
            response["Retry-After"] = "60"
            return response
        form = VerifyUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, "cases/verify.html", {**self.context(act), "form": form}, status=400)
        upload = form.cleaned_data["file"]
        if upload.size > settings.ECASE_VERIFY_MAX_BYTES:
            form.add_error("file", _("The file is larger than any signed act."))
            return render(request, "cases/verify.html", {**self.context(act), "form": form}, status=400)
        data = upload.read()
        identical = act.status == ActStatus.SIGNED and hashlib.sha256(data).hexdigest() == act.pdf_sha256
        verification = verify_pdf(data)
        return render(
            request,
            "cases/verify.html",
            self.context(
                act,
                checked=True,
                identical=identical,
                verification=verification,
                verdict=verdict(act, identical=identical, verification=verification),
                form=form,
            ),
        )


def verdict(act: ProceduralAct, *, identical: bool, verification) -> str:
    """What the uploaded file is, relative to the act this page (and its QR code) is for.

    A valid signature alone says only that someone trusted signed *some* act: a genuine PDF of
    another act must not read as a confirmation of this one. The file's own statement of which act
    it is (its title and subject, covered by the signature) is compared with the recorded PDF's.
    """
    if not verification.valid:
        return "invalid"
    if identical:
        return "this_act"
    if (
        act.status == ActStatus.SIGNED
        and verification.stated is not None
        and verification.stated == stated_act(pdf_read(act.pdf_sha256))
    ):
        return "this_act_other_copy"
    return "other_act"


class TrustRootView(PublicView):
    """The root certificates signatures are checked against, for verifying an act elsewhere."""

    def get(self, request):
        pem = trust_roots_pem()
        if not pem:
            raise Http404("no trust root configured yet")
        response = HttpResponse(pem, content_type="application/x-pem-file")
        response["Content-Disposition"] = 'attachment; filename="ecase-trust-roots.pem"'
        return response
