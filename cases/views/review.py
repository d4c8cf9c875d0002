"""The review of an act awaiting a decision: its preview beside the case it belongs to.

The head of unit approves or returns; the procedural prosecutor agrees or refuses (issue #17):
which of them, if any, is the viewer's is ``act_actions``' answer. Each decision needs a recent
re-authentication (ASVS 4.3.3), like on the act page; a return or refusal needs its reason, checked before anything else so that a bad input changes nothing and
the error shows next to the field. The decision asked for before a re-authentication (its action,
reason and the act's version) is kept in the session: back on this page it is offered again,
filled in, with one button to confirm it (issue #16), unless the act has moved on meanwhile.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from audit.choices import EventType
from audit.services import audit_record
from cases.access.views import CaseScopedView
from ecase.errors import NotAllowed

from .. import access
from ..act_fields import display_values
from ..act_transitions import ActAction, act_action_refusal, act_actions
from ..choices import ActStatus
from ..forms import ActReviewForm
from ..models import ProceduralAct
from ..pdf.current import current_pdf_sha256
from ..qualification import case_qualification
from ..services.act_rendering import signature_roles
from ..services.act_workflow import act_transition
from .acts import needs_reauthentication, pending_decision_key, reauthenticate_then
from .common import apply_errors, done
from .preview import act_preview_html

POSITIVE = (ActAction.APPROVE, ActAction.AGREE)
NEGATIVE = (ActAction.RETURN, ActAction.REFUSE)
DECISIONS = POSITIVE + NEGATIVE


DONE_MESSAGES = {
    ActAction.APPROVE: gettext_lazy("Act №%(n)s approved."),
    ActAction.RETURN: gettext_lazy("Act №%(n)s returned for rework."),
    ActAction.AGREE: gettext_lazy("Act №%(n)s agreed."),
    ActAction.REFUSE: gettext_lazy("Act №%(n)s refused: it goes back to its author."),
}


class ActReviewView(CaseScopedView):
    queryset = ProceduralAct.objects.select_related(
        "case", "case__lead_investigator", "act_type", "author", "approved_by", "supersedes"
    )
    # Who decides what is the workflow's answer (``act_actions``); reading the page needs the case.
    permission_action = access.VIEW

    def render_page(self, act, form, status=200, pending=None):
        # Never offer a decision the workflow would refuse: not to the author, not on a settled act.
        decisions = [a for a in act_actions(act, self.request.user) if a in DECISIONS]
        fresh = not needs_reauthentication(self.request, ActAction.APPROVE)
        # The snapshot the PDF is rendered from rides on the round's first signature (the author's).
        rendering = act.renderings.order_by("-act_version", "step").first()
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
                "positive": next((a for a in decisions if a in POSITIVE), None),
                "negative": next((a for a in decisions if a in NEGATIVE), None),
                "agreement_due": act.status == ActStatus.AWAITING_AGREEMENT,
                "agreement_overdue": act.agreement_due_at is not None and act.agreement_due_at < timezone.now(),
                "has_pdf": current_pdf_sha256(act) is not None,
                "articles": case_qualification(act.case),
                "fields": display_values(act.act_type, act.case, act.fields),
                "participants": act.participants.select_related("person").order_by("role", "id"),
                "preview": act_preview_html(act, rendering=rendering, signature_roles=signature_roles(act)),
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
        refusal = act_action_refusal(act, action, actor=request.user)
        if isinstance(refusal, NotAllowed):
            raise refusal  # not this user's decision: 403 before their password is asked for again
        if needs_reauthentication(request, action):
            request.session[pending_decision_key(act.pk)] = {"action": action, "reason": reason, "version": act.version}
            return reauthenticate_then(request.path)
        try:
            act_transition(act_id=act.pk, action=action, actor=request.user, reason=reason)
        except ValidationError as error:
            apply_errors(form, error)
            return self.render_page(act, form, status=400)
        done(request, DONE_MESSAGES[action] % {"n": act.number})
        return redirect("cases:act", pk=act.pk)
