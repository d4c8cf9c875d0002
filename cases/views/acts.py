"""Drafting, editing and moving procedural acts."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.freshness import REAUTH_AT, is_fresh
from audit.choices import EventType
from audit.read_log import log_read
from audit.services import audit_record
from cases.access.views import CaseScopedView
from ecase import blobs
from ecase.errors import NotAllowed

from .. import access
from ..act_fields import add_structured_fields, display_values, structured_values
from ..act_transitions import ActAction, act_action_refusal, act_actions
from ..choices import ActStatus, RenderingState
from ..forms import ActCreateForm, ActEditForm, ActTransitionForm
from ..models import Case, ProceduralAct, ProceduralActType
from ..pdf.current import current_pdf_sha256
from ..services.act_workflow import act_transition
from ..services.acts import act_create, act_update
from .common import apply_errors, done

# Decisions that need the password and second factor again (ASVS 4.3.3, re-authentication).
REAUTH_ACTIONS = {ActAction.APPROVE, ActAction.RETURN, ActAction.AGREE, ActAction.REFUSE}
REFRESH_SECONDS = 3  # while the PDF is being produced, the act page reloads itself


def needs_reauthentication(request, action: str) -> bool:
    return action in REAUTH_ACTIONS and not is_fresh(request, REAUTH_AT, settings.ECASE_REAUTH_MAX_AGE)


def pending_decision_key(act_id: int) -> str:
    """Where a decision asked for before a re-authentication waits (the review page offers it again)."""
    return f"review-reason-{act_id}"


def reauthenticate_then(url: str):
    """To the password-and-code page, which sends the user back to ``url``."""
    return redirect(f"{reverse('accounts:reauthenticate')}?{urlencode({'next': url})}")


class ActCreateView(CaseScopedView):
    queryset = Case.objects.all()
    permission_action = access.CHANGE

    def build_form(self, case, data=None):
        type_id = (data or self.request.GET).get("act_type")
        act_type = ProceduralActType.draftable().filter(pk=type_id).first() if str(type_id or "").isdigit() else None
        form = ActCreateForm(
            data,
            case=case,
            initial={"act_type": act_type, "place": self.request.user.unit.city if self.request.user.unit else ""},
        )
        if act_type is not None:
            add_structured_fields(form, act_type, case)
        return form, act_type

    def get(self, request, pk):
        case = self.get_object()
        log_read(request, case, page="act-create")
        form, _type = self.build_form(case)
        return render(request, "cases/act_form.html", {"case": case, "form": form, "title": _("Draft an act")})

    def post(self, request, pk):
        case = self.get_object()
        form, act_type = self.build_form(case, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                act = act_create(
                    case_id=case.pk,
                    actor=request.user,
                    act_type=data["act_type"],
                    language=data["language"],
                    place=data["place"],
                    body=data["body"],
                    fields=structured_values(form, data["act_type"]),
                    participant_ids=[p.pk for p in data["participants"]],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("Act №%(n)s drafted.") % {"n": act.number})
                return redirect("cases:act", pk=act.pk)
        return render(
            request, "cases/act_form.html", {"case": case, "form": form, "title": _("Draft an act")}, status=400
        )


class ActDetailView(CaseScopedView):
    queryset = ProceduralAct.objects.select_related("case", "act_type", "author", "approved_by", "signed_by")
    permission_action = access.VIEW

    def get(self, request, pk):
        act = self.get_object()
        audit_record(actor=request.user, event=EventType.ACT_OPENED, case_id=act.case_id, target=act)
        # The latest round's first signature not on the PDF (a failed one stops the round: show it,
        # and stop refreshing), or its last one when all are.
        latest = list(
            act.renderings.filter(act_version=act.renderings.order_by("-act_version").values("act_version")[:1])
        )
        latest.sort(key=lambda r: r.step)
        rendering = next((r for r in latest if r.state != RenderingState.SIGNED), latest[-1] if latest else None)
        response = render(
            request,
            "cases/act_detail.html",
            {
                "act": act,
                "case": act.case,
                "actions": act_actions(act, request.user),
                "fields": display_values(act.act_type, act.case, act.fields),
                "participants": act.participants.select_related("person"),
                "can_edit": Case.objects.restrict(request.user, access.CHANGE).filter(pk=act.case_id).exists(),
                "transitions": act.transitions.select_related("actor"),
                # What the act did once in force, or why an effect no longer fitted (issue #18).
                "effects": act.applied_effects.all(),
                "rendering": rendering,
                "signatures": act.renderings.filter(act_version=act.content_version).select_related("signer")
                if act.content_version
                else [],
                "requirement": act.requirements(),
                "pdf_sha256": current_pdf_sha256(act),
                "agreement_overdue": act.agreement_due_at is not None
                and act.status == ActStatus.AWAITING_AGREEMENT
                and act.agreement_due_at < timezone.now(),
                "correction": ProceduralAct.objects.filter(supersedes=act).first(),
            },
        )
        if rendering is not None and rendering.is_pending:
            response["Refresh"] = str(REFRESH_SECONDS)
        return response


class ActEditView(CaseScopedView):
    queryset = ProceduralAct.objects.select_related("case", "act_type")
    permission_action = access.CHANGE

    def build_form(self, act, data=None):
        form = ActEditForm(
            data,
            case=act.case,
            act=act,
            initial={
                "version": act.version,
                "language": act.language,
                "place": act.place,
                "body": act.body,
                "participants": act.participants.all(),
            },
        )
        add_structured_fields(form, act.act_type, act.case, act.fields)
        return form

    def get(self, request, pk):
        act = self.get_object()
        log_read(request, act, page="act-edit")
        return render(
            request,
            "cases/act_form.html",
            {"case": act.case, "act": act, "form": self.build_form(act), "title": _("Edit the act")},
        )

    def post(self, request, pk):
        act = self.get_object()
        form = self.build_form(act, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                act_update(
                    act_id=act.pk,
                    actor=request.user,
                    expected_version=data["version"],
                    language=data["language"],
                    place=data["place"],
                    body=data["body"],
                    fields=structured_values(form, act.act_type, act.fields),
                    participant_ids=[p.pk for p in data["participants"]],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("The act was saved."))
                return redirect("cases:act", pk=act.pk)
        return render(
            request,
            "cases/act_form.html",
            {"case": act.case, "act": act, "form": form, "title": _("Edit the act")},
            status=400,
        )


class ActTransitionView(CaseScopedView):
    """POST only. Approval and return need a re-authentication from the last few minutes."""

    queryset = ProceduralAct.objects.select_related("case")
    permission_action = access.VIEW
    http_method_names = ["post"]

    def post(self, request, pk):
        act = self.get_object()
        form = ActTransitionForm(request.POST)
        if not form.is_valid():
            return redirect("cases:act", pk=act.pk)
        action = form.cleaned_data["action"]
        refusal = act_action_refusal(act, action, actor=request.user)
        if isinstance(refusal, NotAllowed):
            raise refusal  # not this user's step: 403 before their password is asked for again
        if needs_reauthentication(request, action):
            # Back from the password and code, the review page offers this very decision, filled in,
            # for one click (issue #16); both decisions need the approver's right, as that page does.
            request.session[pending_decision_key(act.pk)] = {
                "action": action,
                "reason": form.cleaned_data["reason"],
                "version": act.version,
            }
            return reauthenticate_then(reverse("cases:act-review", args=[act.pk]))
        try:
            moved = act_transition(act_id=act.pk, action=action, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            if action == ActAction.SUPERSEDE:
                done(request, _("Act №%(n)s drafted as the correction.") % {"n": moved.superseded_by.number})
                return redirect("cases:act-edit", pk=moved.superseded_by.pk)
            done(request, _("Done."))
        return redirect("cases:act", pk=act.pk)


class ActPdfView(CaseScopedView):
    """The signed PDF, for everyone who may read the case; each download is in the access log."""

    queryset = ProceduralAct.objects.select_related("case")
    permission_action = access.VIEW

    def get(self, request, pk):
        act = self.get_object()
        sha = current_pdf_sha256(act)
        if sha is None:
            raise Http404("the act has no signed PDF yet")
        audit_record(
            actor=request.user,
            event=EventType.ACT_PDF_DOWNLOADED,
            case_id=act.case_id,
            target=act,
            data={"sha256": sha},
        )
        return FileResponse(
            blobs.open(sha),
            content_type="application/pdf",
            filename=f"{act.case.registration_number}-act-{act.number}.pdf",
        )
