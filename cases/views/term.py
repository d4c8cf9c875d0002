"""The term tab's writes: the investigator's extension request and the record of the prosecutor's decision."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from audit.read_log import log_read
from cases.access.views import CaseScopedView

from .. import access
from ..choices import Language
from ..forms_term import ExtensionDecisionForm, ExtensionRequestForm
from ..models import Case, ProceduralAct
from ..services.term import extension_decide, extension_request_draft, requested_days
from .common import apply_errors, done


def _term_tab(case_id: int) -> str:
    return f"{reverse('cases:detail', args=[case_id])}?tab=term"


class ExtensionRequestView(CaseScopedView):
    """Drafts the request act prefilled from the case; it is then submitted and approved like any act."""

    queryset = Case.objects.all()
    permission_action = access.CHANGE

    def render_form(self, case, form, status=200):
        return render(self.request, "cases/extension_request.html", {"case": case, "form": form}, status=status)

    def get(self, request, pk):
        case = self.get_object()
        log_read(request, case, page="extension-request")
        unit = request.user.unit
        return self.render_form(
            case,
            ExtensionRequestForm(
                initial={
                    "language": request.user.language if request.user.language in Language.values else Language.RUSSIAN,
                    "place": unit.city if unit else "",
                }
            ),
        )

    def post(self, request, pk):
        case = self.get_object()
        form = ExtensionRequestForm(request.POST)
        if form.is_valid():
            try:
                act = extension_request_draft(case_id=case.pk, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(
                    request,
                    _("The request was drafted as act №%(n)s: check it and submit it for approval.")
                    % {"n": act.number},
                )
                return redirect("cases:act", pk=act.pk)
        return self.render_form(case, form, status=400)


class ExtensionDecisionView(CaseScopedView):
    """The supervisor enters the supervising prosecutor's decision on a signed request."""

    queryset = ProceduralAct.objects.select_related("case", "case__prosecutor", "act_type")
    permission_action = access.PROSECUTE

    def render_form(self, act, form, status=200):
        return render(
            self.request,
            "cases/extension_decision.html",
            {"act": act, "case": act.case, "form": form, "days": requested_days(act)},
            status=status,
        )

    def get(self, request, pk):
        act = self.get_object()
        log_read(request, act, page="extension-decision")
        return self.render_form(act, ExtensionDecisionForm(initial={"days": requested_days(act)}))

    def post(self, request, pk):
        act = self.get_object()
        form = ExtensionDecisionForm(request.POST)
        if form.is_valid():
            try:
                decision = extension_decide(act_id=act.pk, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("The term was extended.") if decision.granted else _("The refusal was recorded."))
                return redirect(_term_tab(act.case_id))
        return self.render_form(act, form, status=400)
