"""Adding and withdrawing participants of a case."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from audit.read_log import log_read
from cases.access.views import CaseScopedView

from .. import access
from ..forms import ParticipantForm, ReasonForm
from ..models import Case, Participant
from ..services.participants import participant_add, participant_withdraw
from .common import apply_errors, done


class ParticipantAddView(CaseScopedView):
    queryset = Case.objects.all()
    permission_action = access.CHANGE

    def render_form(self, case, form, status=200):
        return render(
            self.request,
            "cases/form.html",
            {"case": case, "form": form, "title": _("Add a participant")},
            status=status,
        )

    def get(self, request, pk):
        case = self.get_object()
        log_read(request, case, page="participant-add")
        return self.render_form(case, ParticipantForm())

    def post(self, request, pk):
        case = self.get_object()
        form = ParticipantForm(request.POST)
        if form.is_valid():
            try:
                participant_add(
                    case_id=case.pk,
                    actor=request.user,
                    role=form.cleaned_data["role"],
                    person_data=form.person_data(),
                    role_since=form.cleaned_data["role_since"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("The participant was added."))
                return redirect("cases:detail", pk=case.pk)
        return self.render_form(case, form, status=400)


class ParticipantWithdrawView(CaseScopedView):
    queryset = Participant.objects.all()
    permission_action = access.CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        participant = self.get_object()
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                participant_withdraw(
                    participant_id=participant.pk, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("The participant was withdrawn."))
                return redirect("cases:detail", pk=participant.case_id)
        return render(
            request,
            "cases/form.html",
            {"case": participant.case, "form": form, "title": _("Withdraw a participant")},
            status=400,
        )
