"""The term tab's write: the investigator's extension request (the prosecutor agrees to it or refuses it as an act, issue #17)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from audit.read_log import log_read
from cases.access.views import CaseScopedView

from .. import access
from ..choices import Language
from ..forms_term import ExtensionRequestForm
from ..models import Case
from ..services.term import extension_request_draft
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
