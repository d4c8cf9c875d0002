"""The supervisor's review of a submitted act: its preview beside the case it belongs to.

Approval and return need a recent re-authentication (ASVS 4.3.3), like on the act page; a
return needs its reason, checked before anything else so that a bad input changes nothing and
the error shows next to the field. The decision asked for before a re-authentication (its action,
reason and the act's version) is kept in the session: back on this page it is offered again,
filled in, with one button to confirm it (issue #16), unless the act has moved on meanwhile.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.choices import EventType
from audit.services import audit_record
from cases.access.views import CaseScopedView

from .. import access
from ..act_fields import display_values
from ..act_transitions import ActAction, act_actions
from ..forms import ActReviewForm
from ..models import ProceduralAct
from ..services.act_workflow import act_transition
from .acts import needs_reauthentication, pending_decision_key, reauthenticate_then
from .common import apply_errors, done
from .preview import act_preview_html

DECISIONS = (ActAction.APPROVE, ActAction.RETURN)


class ActReviewView(CaseScopedView):
    queryset = ProceduralAct.objects.select_related(
        "case", "case__lead_investigator", "act_type", "author", "approved_by", "supersedes"
    )
    permission_action = access.APPROVE

    def render_page(self, act, form, status=200, pending=None):
        # Never offer a decision the workflow would refuse: not to the author, not on a settled act.
        decisions = [a for a in act_actions(act, self.request.user) if a in DECISIONS]
        fresh = not needs_reauthentication(self.request, ActAction.APPROVE)
        # The decision asked for before the re-authentication, if it still applies to this very version.
        pending = (
            pending["action"]
            if pending and fresh and pending.get("version") == act.version and pending.get("action") in decisions
            else None
        )
        return render(
            self.request,
            "cases/act_review.html",
            {
                "act": act,
                "case": act.case,
                "form": form,
                "decisions": decisions,
                "articles": act.case.articles.all(),
                "fields": display_values(act.act_type, act.case, act.fields),
                "participants": act.participants.select_related("person").order_by("role", "id"),
                "preview": act_preview_html(act, rendering=act.renderings.order_by("-act_version").first()),
                "today": timezone.localdate(),
                "needs_reauthentication": not fresh,
                "pending": pending,
            },
            status=status,
        )

    def get(self, request, pk):
        act = self.get_object()
        audit_record(
            actor=request.user, event=EventType.ACT_OPENED, case_id=act.case_id, target=act, data={"page": "review"}
        )
        pending = request.session.pop(pending_decision_key(act.pk), None)
        pending = pending if isinstance(pending, dict) else None
        reason = pending.get("reason", "") if pending else ""
        return self.render_page(act, ActReviewForm(initial={"reason": reason}), pending=pending)

    def post(self, request, pk):
        act = self.get_object()
        form = ActReviewForm(request.POST)
        if not form.is_valid():
            return self.render_page(act, form, status=400)
        action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
        if needs_reauthentication(request, action):
            request.session[pending_decision_key(act.pk)] = {"action": action, "reason": reason, "version": act.version}
            return reauthenticate_then(request.path)
        try:
            act_transition(act_id=act.pk, action=action, actor=request.user, reason=reason)
        except ValidationError as error:
            apply_errors(form, error)
            return self.render_page(act, form, status=400)
        done(
            request,
            _("Act №%(n)s approved.") % {"n": act.number}
            if action == ActAction.APPROVE
            else _("Act №%(n)s returned for rework.") % {"n": act.number},
        )
        return redirect("cases:act", pk=act.pk)
