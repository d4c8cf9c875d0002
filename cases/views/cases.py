"""Case list, registration, the case page, editing, assignment, transitions, term extension."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from audit.choices import EventType
from audit.models import AuditEvent
from audit.services import audit_record
from cases.access.views import CaseScopedView
from ecase.errors import NotAllowed, StaleEdit

from .. import access, file_parts
from ..access.grave import grave_hidden_for
from ..choices import CaseAction
from ..clock_selectors import case_clocks_of
from ..forms import (
    CaseAssignForm,
    CaseEditForm,
    CaseRegisterForm,
    CaseTransitionForm,
    ExtensionForm,
)
from ..forms_filters import CaseFilterForm
from ..models import Case, ProceduralActType
from ..paging import paginate_without_count
from ..qualification import case_qualification
from ..selectors import case_list, changes_since
from ..services.case import QUALIFICATION_TYPE, case_assign, case_transition, case_update, requalification_needs_decree
from ..services.registration import case_register
from ..services.term import deadline_extend, pending_extension_requests
from ..timeline import case_changes
from ..transitions import decree_steps, open_actions
from .common import PAGE_SIZE, apply_errors, done, paginate, verify_url


class CaseListView(CaseScopedView):
    """A page of the visible cases, newest first. It does not count them (cases/paging.py): for a
    supervisor the count cost more than the page itself."""

    queryset = Case.objects.all()
    permission_action = access.VIEW

    def get(self, request):
        form = CaseFilterForm(request.GET or None, user=request.user)
        # Grave cases (and search hits in them: an IIN, a surname, words of the plot) are listed, like
        # the case page opens, only with a recent second factor; the page says so and links to the code.
        cases, grave_hidden = grave_hidden_for(request, case_list(user=request.user, filters=form.filters()))
        page = paginate_without_count(request, cases, PAGE_SIZE)
        # A list shows case content too: one access-log row per request, naming what was shown and asked.
        audit_record(
            actor=request.user,
            event=EventType.CASES_LISTED,
            data={"page": "list", "cases": [case.pk for case in page], "query": _without_page(request)},
        )
        return render(
            request,
            "cases/case_list.html",
            {
                "form": form,
                "page": page,
                "today": timezone.localdate(),
                "query": _without_page(request),
                "grave_hidden": grave_hidden,
                "verify_url": verify_url(request),
            },
        )


def _without_page(request) -> str:
    """The current filters as a query string, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


class CaseRegisterView(CaseScopedView):
    """Registration creates the case, so there is no object to scope: the role and unit decide."""

    queryset = Case.objects.all()
    permission_action = access.CHANGE

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role not in (Role.INVESTIGATOR, Role.SUPERVISOR):
            raise NotAllowed("only investigators and supervisors register cases")
        return super().dispatch(request, *args, **kwargs)

    def form(self, data=None) -> CaseRegisterForm:
        user = self.request.user
        assert user.is_authenticated  # the scoped views serve signed-in users only
        # The prosecutors offered up front come from the registrar's cases: grave ones only when the
        # one grave-data rule allows (a recent second factor).
        return CaseRegisterForm(data, unit=user.unit, user=user, request=self.request)

    def get(self, request):
        return render(request, "cases/case_register.html", {"form": self.form()})

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                case = case_register(actor=request.user, unit=request.user.unit, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("Case %(number)s registered.") % {"number": case.registration_number})
                return redirect("cases:detail", pk=case.pk)
        return render(request, "cases/case_register.html", {"form": form}, status=400)


# The case's own tabs; the parts other apps contribute (evidence: cases/file_parts.py) come after the acts.
OWN_TABS_BEFORE = {
    "summary": gettext_lazy("Summary"),
    "participants": gettext_lazy("Participants"),
    "acts": gettext_lazy("Procedural acts"),
}
OWN_TABS_AFTER = {"term": gettext_lazy("Term"), "history": gettext_lazy("History")}
HISTORY_ROWS = 50


def case_tabs() -> dict[str, object]:
    """Every tab of the case page, in order: name → label."""
    return {**OWN_TABS_BEFORE, **{part.name: part.label for part in file_parts.tabs()}, **OWN_TABS_AFTER}


def _tab_context(case: Case, tab: str) -> dict:
    """Only the selected tab's rows are read: each tab costs a fixed number of queries."""
    contributed = file_parts.tab(tab)
    if contributed is not None:
        return {"tab_template": contributed.template, **contributed.rows(case)}
    return {"tab_template": f"cases/tabs/{tab}.html", **_own_tab_rows(case, tab)}


def _own_tab_rows(case: Case, tab: str) -> dict:
    if tab == "participants":
        return {"participants": case.participants.select_related("person").order_by("withdrawn_at", "role", "id")}
    if tab == "acts":
        return {"acts": case.acts.select_related("act_type", "author").order_by("number")}
    if tab == "term":
        return {
            "extensions": case.extensions.select_related("granted_by"),
            "interruptions": case.interruptions.all(),
            "pending_request": pending_extension_requests([case.pk]).select_related("act_type").first(),
            "decisions": case.extension_decisions.select_related("request", "decided_by"),
            "clocks": case_clocks_of(case),
        }
    if tab == "history":
        return {"history": case_changes(case, HISTORY_ROWS)}
    return {"articles": case_qualification(case), "group": case.group.all()}


class CaseDetailView(CaseScopedView):
    queryset = Case.objects.select_related("unit", "lead_investigator", "prosecutor", "supervisor")
    permission_action = access.VIEW

    def get(self, request, pk):
        case = self.get_object()  # a grave case needs a recent second factor (CaseScopedView)
        tabs = case_tabs()
        tab = request.GET.get("tab") if request.GET.get("tab") in tabs else "summary"
        audit_record(actor=request.user, event=EventType.CASE_OPENED, case_id=case.pk, target=case, data={"tab": tab})
        held = access.case_actions(request.user, case)
        decisions = [(a, CaseAction(a).label) for a in open_actions(case, request.user, held=held)]
        # The steps an act in force takes (issue #18): a link to draft that act, where the tab offers them.
        decrees = (
            [(CaseAction(a).label, t) for a, t in decree_steps(case, request.user, held=held)]
            if tab in ("summary", "term")
            else []
        )
        context = {
            "case": case,
            "tab": tab,
            "tabs": tabs,
            # The grants and the export that follows from them (access.EXPORT): the link is shown to whom
            # the export view admits, by the same rule.
            "can": {a: a in held for a in (*access.CODENAMES, access.EXPORT)},
            "decisions": decisions,
            "decrees": decrees,
            "today": timezone.localdate(),
            **_tab_context(case, tab),
        }
        # htmx asks for the tab alone; a plain request (or no JavaScript) gets the whole page.
        template = context["tab_template"] if request.headers.get("HX-Request") else "cases/case_detail.html"
        return render(request, template, context)


class CaseEditView(CaseScopedView):
    queryset = Case.objects.all()
    permission_action = access.CHANGE

    def get(self, request, pk):
        case = self.get_object()
        audit_record(
            actor=request.user, event=EventType.CASE_OPENED, case_id=case.pk, target=case, data={"page": "edit"}
        )
        form = CaseEditForm(
            initial={
                "version": case.version,
                "plot": case.plot,
                "proceedings_form": case.proceedings_form,
                "event_date": case.event_date,
            }
        )
        return render(request, "cases/form.html", {"case": case, "form": form, "title": _("Edit the case")})

    def post(self, request, pk):
        case = self.get_object()
        form = CaseEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case_update(
                    case_id=case.pk,
                    actor=request.user,
                    expected_version=data["version"],
                    reason=data["reason"],
                    plot=data["plot"],
                    event_date=data["event_date"],
                    proceedings_form=data["proceedings_form"],
                )
            except StaleEdit as error:
                form = _stale_form(request, case, data["version"], error)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("The case was saved."))
                return redirect("cases:detail", pk=case.pk)
        return render(request, "cases/form.html", {"case": case, "form": form, "title": _("Edit the case")}, status=400)


class CaseRequalifyView(CaseScopedView):
    """Requalification is a decree (issue #18): this address leads to drafting the qualification decree.

    Nothing changes here: the case is requalified when that decree comes into force
    (cases/services/effects.py). A POST (an old form, a script) changes nothing either.
    """

    queryset = Case.objects.all()
    permission_action = access.CHANGE
    http_method_names = ["get", "post"]

    def get(self, request, pk):
        case = self.get_object()
        act_type = ProceduralActType.draftable().filter(code=QUALIFICATION_TYPE).first()
        done(request, requalification_needs_decree())
        if act_type is None:
            return redirect("cases:detail", pk=case.pk)
        return redirect(reverse("cases:act-create", args=[case.pk]) + f"?act_type={act_type.pk}")

    def post(self, request, pk):
        return self.get(request, pk)


def _stale_form(request, case: Case, seen_version: int, error: StaleEdit) -> CaseEditForm:
    """The user's own input back, with what changed meanwhile, by whom; saving again is a conscious act."""
    case = Case.objects.get(pk=case.pk)
    changes = changes_since(case, seen_version)
    data = request.POST.copy()
    data["version"] = case.version
    form = CaseEditForm(data)
    form.is_valid()
    form.add_error(None, error)
    for change in changes:
        form.add_error(None, _("%(who)s, %(when)s: %(field)s “%(old)s” → “%(new)s”") % change)
    return form


class CaseAssignView(CaseScopedView):
    queryset = Case.objects.select_related("unit")
    permission_action = access.ASSIGN

    def get(self, request, pk):
        case = self.get_object()
        audit_record(
            actor=request.user, event=EventType.CASE_OPENED, case_id=case.pk, target=case, data={"page": "assign"}
        )
        form = CaseAssignForm(
            case=case,
            initial={
                "lead_investigator": case.lead_investigator,
                "group": case.group.all(),
                "prosecutor": case.prosecutor,
                "supervisor": case.supervisor,
            },
        )
        return render(request, "cases/form.html", {"case": case, "form": form, "title": _("Assign investigators")})

    def post(self, request, pk):
        case = self.get_object()
        form = CaseAssignForm(request.POST, case=case)
        if form.is_valid():
            try:
                case_assign(case_id=case.pk, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("The assignment was saved."))
                return redirect("cases:detail", pk=case.pk)
        return render(
            request, "cases/form.html", {"case": case, "form": form, "title": _("Assign investigators")}, status=400
        )


class CaseTransitionView(CaseScopedView):
    """POST only: the service checks the table and the right the action needs."""

    queryset = Case.objects.all()
    permission_action = access.VIEW
    http_method_names = ["post"]

    def post(self, request, pk):
        case = self.get_object()
        form = CaseTransitionForm(request.POST)
        if not form.is_valid():
            return render(
                request, "cases/form.html", {"case": case, "form": form, "title": _("Change status")}, status=400
            )
        try:
            case_transition(case_id=case.pk, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
            return render(
                request, "cases/form.html", {"case": case, "form": form, "title": _("Change status")}, status=400
            )
        done(request, _("The status was changed."))
        # Back to the tab the decision was taken on (the term tab interrupts and resumes too).
        tab = request.POST.get("tab")
        return redirect(reverse("cases:detail", args=[case.pk]) + (f"?tab={tab}" if tab in case_tabs() else ""))


class CaseExtendView(CaseScopedView):
    queryset = Case.objects.all()
    permission_action = access.PROSECUTE

    def get(self, request, pk):
        case = self.get_object()
        audit_record(
            actor=request.user, event=EventType.CASE_OPENED, case_id=case.pk, target=case, data={"page": "extend"}
        )
        return render(
            request, "cases/form.html", {"case": case, "form": ExtensionForm(), "title": _("Extend the term")}
        )

    def post(self, request, pk):
        case = self.get_object()
        form = ExtensionForm(request.POST)
        if form.is_valid():
            try:
                deadline_extend(case_id=case.pk, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("The term was extended."))
                return redirect("cases:detail", pk=case.pk)
        return render(
            request, "cases/form.html", {"case": case, "form": form, "title": _("Extend the term")}, status=400
        )


class AccessLogView(CaseScopedView):
    """Every recorded access to the cases whose log the user may read (a supervisor's unit, a prosecutor's cases)."""

    queryset = Case.objects.all()
    permission_action = access.AUDIT

    def get(self, request):
        cases = self.scoped()
        # A grave case's log opens, like the case itself, only with a recent second factor
        # (cases/access/views.py); without one its events are left out and the page says so.
        cases, grave_hidden = grave_hidden_for(request, cases)
        events = (
            AuditEvent.objects.filter(case_id__in=cases.values("pk"))
            .select_related("actor")
            .order_by("-occurred_at", "-id")
        )
        # Every case of a region: counting its events would cost more than the page (cases/paging.py).
        page = paginate_without_count(request, events, 50)
        audit_record(
            actor=request.user,
            event=EventType.AUDIT_LOG_OPENED,
            data={
                "page": "access-log-all",
                "cases": sorted({event.case_id for event in page}),
                "query": _without_page(request),
            },
        )
        return render(
            request,
            "cases/access_log.html",
            {
                "case": None,
                "page": page,
                "query": _without_page(request),
                "grave_hidden": grave_hidden,
                "verify_url": verify_url(request),
            },
        )


class CaseAccessLogView(CaseScopedView):
    queryset = Case.objects.all()
    permission_action = access.AUDIT

    def get(self, request, pk):
        case = self.get_object()
        events = AuditEvent.objects.filter(case_id=case.pk).select_related("actor").order_by("-occurred_at", "-id")
        page = paginate(request, events, 50)
        # In the global chain, naming the case: a row in the case's own log would shift the pages read.
        audit_record(
            actor=request.user,
            event=EventType.AUDIT_LOG_OPENED,
            target=case,
            data={"page": "access-log", "case": case.pk},
        )
        return render(request, "cases/access_log.html", {"case": case, "page": page})
