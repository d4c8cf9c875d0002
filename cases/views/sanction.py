"""Recording the investigating judge's decision on an act (issue #17): the author's form."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from audit.read_log import log_read
from cases.access.views import CaseScopedView

from .. import access
from ..forms_term import ActSanctionForm
from ..models import ProceduralAct
from ..services.sanction import SCAN_MAX_BYTES, act_sanction_record
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
