"""The investigating judge's decision on an act (issue #17): the author's form, and the scan's download."""

from __future__ import annotations

import filetype
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from audit.read_log import log_read
from cases.access.views import CaseScopedView
from ecase import blobs

from .. import access
from ..forms_term import ActSanctionForm
from ..models import ProceduralAct
from ..services.sanction import SCAN_MAX_BYTES, SCAN_TYPES, act_sanction_record
from .common import apply_errors, done


class ActSanctionView(CaseScopedView):
    queryset = ProceduralAct.objects.select_related("case", "act_type")
    permission_action = access.CHANGE

    def render_form(self, act, form, status=200):
        return render(
            self.request,
            "cases/form.html",
            {"case": act.case, "form": form, "title": _("The judge's decision on act №%(n)s") % {"n": act.number}},
            status=status,
        )

    def get(self, request, pk):
        act = self.get_object()
        log_read(request, act, page="sanction")
        return self.render_form(act, ActSanctionForm())

    def post(self, request, pk):
        act = self.get_object()
        form = ActSanctionForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["scan"]
            try:
                if upload.size > SCAN_MAX_BYTES:
                    raise ValidationError({"scan": _("The scan is larger than 20 MB.")})
                act_sanction_record(
                    act_id=act.pk,
                    actor=request.user,
                    scan=upload.read(),
                    scan_name=upload.name,
                    **{k: form.cleaned_data[k] for k in ("judge", "court", "decided_on", "granted", "note")},
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("The judge's decision was recorded."))
                return redirect("cases:act", pk=act.pk)
        return self.render_form(act, form, status=400)


class ActSanctionScanView(CaseScopedView):
    """The scan of the court's decision, for everyone who may read the case; each download is logged.

    The type is read from the stored bytes (the upload was checked to be one of ``SCAN_TYPES``) and
    the file is named from the case and the act, never from the uploaded name, which the uploader chose.
    """

    queryset = ProceduralAct.objects.select_related("case", "sanction")
    permission_action = access.VIEW

    def get(self, request, pk):
        act = self.get_object()
        sanction = getattr(act, "sanction", None)
        if sanction is None:
            raise Http404("no judge's decision is recorded for this act")
        stream = blobs.open(sanction.scan_sha256)
        kind = filetype.guess(stream.peek(8192)[:8192])
        mime, extension = (
            (kind.mime, kind.extension) if kind and kind.mime in SCAN_TYPES else ("application/octet-stream", "bin")
        )
        log_read(request, act, page="sanction-scan", sha256=sanction.scan_sha256)
        response = FileResponse(
            stream,
            as_attachment=True,
            content_type=mime,
            filename=f"{act.case.registration_number}-act-{act.number}-sanction.{extension}",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
