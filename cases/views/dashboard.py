"""The dashboard (``/``, URL name ``home``): what needs the signed-in user's attention across their cases."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import F, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.choices import Role
from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record

from .. import access
from ..access.grave import grave_hidden_for
from ..choices import ActStatus
from ..clock_selectors import clocks_due
from ..clocks import Clock, State
from ..models import Case, ProceduralAct
from ..selectors import RowExists

DASHBOARD_ROWS = 20


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What needs the user's attention: their clocks due or overdue, their cases by deadline, their
    returned and refused acts, acts to approve (head of unit) or to agree to (prosecutor), and overdue
    agreements."""
    user = request.user
    assert isinstance(user, User)  # login_required
    if user.role == Role.ADMINISTRATOR:
        return redirect("manage:home")
    # Grave cases need a fresh second factor wherever their data shows (issue #13): the dashboard
    # lists their numbers, deadlines and acts, so it leaves them out until the code is confirmed.
    cases, grave_hidden = grave_hidden_for(request, Case.objects.restrict(user))
    visible, _ = grave_hidden_for(request, Case.objects.restrict(user, access.VIEW))
    clocks = _clocks_due(visible)
    returned, _ = grave_hidden_for(request, ProceduralAct.objects.restrict(user, "change"), "case")
    lists = {
        "cases": list(
            cases.select_related("unit").order_by(F("deadline").asc(nulls_last=True), "-pk")[:DASHBOARD_ROWS]
        ),
        "returned": list(
            returned.filter(author=user, status__in=(ActStatus.RETURNED, ActStatus.REFUSED)).select_related(
                "case", "act_type"
            )[:DASHBOARD_ROWS]
        ),
        "to_approve": _acts_awaiting(request, user, access.APPROVE, ActStatus.SUBMITTED),
        "to_agree": _acts_awaiting(request, user, access.PROSECUTE, ActStatus.AWAITING_AGREEMENT),
        "overdue_agreements": _overdue_agreements(request, user),
    }
    # The dashboard shows case content: one access-log row naming every case it listed (issue #13 item 7).
    shown = {row.pk if isinstance(row, Case) else row.case_id for rows in lists.values() for row in rows}
    shown |= {case.pk for case, _clock, _bucket in clocks}
    audit_record(actor=user, event=EventType.CASES_LISTED, data={"page": "home", "cases": sorted(shown)})
    return render(
        request,
        "home.html",
        {
            **lists,
            "clocks": clocks,
            "today": timezone.localdate(),
            "grave_hidden": grave_hidden,
            "verify_url": f"{reverse('accounts:otp-verify')}?{urlencode({'next': request.get_full_path()})}",
        },
    )


def _clocks_due(cases) -> list[tuple[Case, Clock, str]]:
    """The statutory clocks of the user's cases (``restrict``: each role its own) that are overdue or
    run out within ECASE_DEADLINE_WARNING_DAYS, soonest first, each with its bucket: overdue, within
    24 hours, within the days. A fixed number of statements (cases/clock_selectors.py)."""
    now = timezone.now()
    pairs = clocks_due(cases, hours=24 * settings.ECASE_DEADLINE_WARNING_DAYS, now=now, limit=DASHBOARD_ROWS)
    day = now + timedelta(hours=24)
    return [
        (case, clock, "overdue" if clock.state == State.OVERDUE else "day" if clock.end <= day else "days")
        for case, clock in pairs
    ]


def _overdue_agreements(request: HttpRequest, user) -> list[ProceduralAct]:
    """Acts whose prosecutor's agreement is overdue, for the three who must see it (issue #17): the
    author (their own acts), the head of unit (the acts they may approve in) and the prosecutor
    (the acts they supervise). Read through the partial index ``act_agreement_due``: few acts wait
    for agreement at any time, and each found is then tested for access."""
    right = {Role.INVESTIGATOR: access.CHANGE, Role.SUPERVISOR: access.APPROVE, Role.PROSECUTOR: access.PROSECUTE}
    if user.role not in right:
        return []
    acts, _ = grave_hidden_for(request, ProceduralAct.objects.restrict(user, right[user.role]), "case")
    acts = acts.filter(status=ActStatus.AWAITING_AGREEMENT, agreement_due_at__lt=timezone.now())
    if user.role == Role.INVESTIGATOR:
        acts = acts.filter(author=user)
    return list(acts.select_related("case", "act_type", "author").order_by("agreement_due_at")[:DASHBOARD_ROWS])


def _acts_awaiting(request: HttpRequest, user, right: str, status: str) -> list[ProceduralAct]:
    """The first DASHBOARD_ROWS acts in ``status`` the user may decide on with ``right`` (the head of
    unit's approval queue, the prosecutor's agreement queue), in the acts' order (their case's,
    newest first, then number), in two short statements instead of one long one.

    As one query (``ProceduralAct.objects.restrict(user, "approve")``) PostgreSQL walked the cases
    newest first and, for each, read its acts before testing the case's access: ~40 ms for a
    regional supervisor at 200,000 cases. Here the cases come first: the newest approvable cases
    with a submitted act, access tested per case and the act probed per visible case
    (``RowExists``: never all submitted acts collected first); then the acts of those at most
    DASHBOARD_ROWS cases. The same acts: each case found holds at least one submitted act, so the
    first DASHBOARD_ROWS acts lie in the first DASHBOARD_ROWS such cases."""
    cases, _ = grave_hidden_for(request, Case.objects.restrict(user, right))
    submitted = ProceduralAct.objects.filter(case=OuterRef("pk"), status=status).values("pk")
    ids = list(
        cases.filter(RowExists(submitted))
        .order_by("-registered_at", "-pk")
        .values_list("pk", flat=True)[:DASHBOARD_ROWS]
    )
    if not ids:
        return []
    acts = ProceduralAct.objects.restrict(user, right).filter(case_id__in=ids, status=status)
    return list(acts.select_related("case", "act_type", "author")[:DASHBOARD_ROWS])
