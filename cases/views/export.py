"""Exporting the case file (issue #6): a signed ZIP for a prosecutor or a court."""

from __future__ import annotations

import logging
import tempfile

from django.http import FileResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from audit.read_log import log_read
from cases.access.views import CaseScopedView

from .. import access
from ..export import ExportError, ExportKeyUnavailable, export_case, exportable_case
from ..models import Case

logger = logging.getLogger(__name__)
# The server cannot make the export now (its key or a stored file is missing): not the user's doing.
EXPORT_UNAVAILABLE_STATUS = 503


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
        try:
            result = export_case(case_id=case.pk, actor=request.user, output=spool)
        except (ExportKeyUnavailable, ExportError) as error:
            spool.close()
            # The operator's detail goes to the log; the user learns that nothing was exported and whom to tell.
            logger.error("export of case %s refused: %s", case.pk, error)
            message = (
                _(
                    "The case file cannot be exported: the system's export signing key is unavailable. Tell your administrator."
                )
                if isinstance(error, ExportKeyUnavailable)
                else _(
                    "The case file cannot be exported: a stored file is missing or damaged. Tell your administrator."
                )
            )
            return render(
                request, "cases/export.html", {"case": case, "error": message}, status=EXPORT_UNAVAILABLE_STATUS
            )
        spool.seek(0)
        response = FileResponse(
            spool, as_attachment=True, filename=f"case-{result.case_number}.zip", content_type="application/zip"
        )
        response["X-Manifest-SHA256"] = result.manifest_sha256
        return response
