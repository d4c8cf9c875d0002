"""Exporting the case file (issue #6): a signed ZIP for a prosecutor or a court."""

from __future__ import annotations

import tempfile

from django.http import FileResponse
from django.shortcuts import render

from cases.access.views import CaseScopedView
from ecase.read_log import log_read

from .. import access
from ..export import export_case, exportable_case
from ..models import Case


class CaseExportView(CaseScopedView):
    """GET: what the export holds; POST: build it, audit it, download it.

    Open to the lead investigator, the case's supervisors and its prosecutor (``access.EXPORT``);
    others who see the case get 403.
    """

    queryset = Case.objects.all()
    permission_action = access.VIEW

    def get(self, request, pk):
        case = exportable_case(case_id=self.get_object().pk, actor=request.user)
        log_read(request, case, page="export")
        return render(request, "cases/export.html", {"case": case})

    def post(self, request, pk):
        case = exportable_case(case_id=self.get_object().pk, actor=request.user)
        spool = tempfile.TemporaryFile()  # deleted when closed: the export is not kept on the server
        result = export_case(case_id=case.pk, actor=request.user, output=spool)
        spool.seek(0)
        response = FileResponse(
            spool, as_attachment=True, filename=f"case-{result.case_number}.zip", content_type="application/zip"
        )
        response["X-Manifest-SHA256"] = result.manifest_sha256
        return response
