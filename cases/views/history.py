"""The history screen of a case: history diffs and audit events on one timeline (issue #6)."""

from __future__ import annotations

from django.shortcuts import render

from audit.read_log import log_read
from cases.access.views import CaseScopedView

from .. import access
from ..models import Case
from ..timeline import CaseTimeline
from .common import paginate

PAGE_SIZE = 50


class CaseHistoryView(CaseScopedView):
    """Everyone who sees the case sees what changed; reads, refusals and addresses only those who
    may read its access log (supervisors, the prosecutor), as on the access-log page."""

    queryset = Case.objects.all()
    permission_action = access.VIEW

    def get(self, request, pk):
        case = self.get_object()
        log_read(request, case, page="history")
        auditor = Case.objects.restrict(request.user, access.AUDIT).filter(pk=case.pk).exists()
        timeline = CaseTimeline(case, include_access=auditor)
        return render(
            request,
            "cases/history.html",
            {"case": case, "page": paginate(request, timeline, PAGE_SIZE), "auditor": auditor},
        )
