"""The dashboard (``/``, URL name ``home``): what needs the signed-in user's attention across their cases."""

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

from ..access.grave import grave_hidden_for
from ..choices import ActStatus
from ..models import Case, ProceduralAct
from ..selectors import RowExists, deadlines_soon
from ..services.term import pending_extension_requests

DASHBOARD_ROWS = 20


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What needs the user's attention: their cases by deadline, their returned acts, acts to approve,
    extension requests awaiting the prosecutor's decision."""
    user = request.user
    assert isinstance(user, User)  # login_required
    if user.role == Role.ADMINISTRATOR:
        return redirect("manage:home")
    # Grave cases need a fresh second factor wherever their data shows (issue #13): the dashboard
    # lists their numbers, deadlines and acts, so it leaves them out until the code is confirmed.
    cases, grave_hidden = grave_hidden_for(request, Case.objects.restrict(user))
    soon, _ = grave_hidden_for(request, deadlines_soon(user=user))
    returned, _ = grave_hidden_for(request, ProceduralAct.objects.restrict(user, "change"), "case")
    requests, _ = grave_hidden_for(
        request, pending_extension_requests(Case.objects.restrict(user, "prosecute")), "case"
    )
    lists = {
        "cases": list(
            cases.select_related("unit").order_by(F("deadline").asc(nulls_last=True), "-pk")[:DASHBOARD_ROWS]
        ),
        "soon": list(soon[:DASHBOARD_ROWS]),
        "returned": list(
            returned.filter(author=user, status=ActStatus.RETURNED).select_related("case", "act_type")[:DASHBOARD_ROWS]
        ),
        "to_approve": _acts_to_approve(request, user),
        # The requests whose decision the supervisor records once the prosecutor has taken it.
        "extension_requests": list(
            requests.select_related("case", "act_type").order_by("case__deadline", "pk")[:DASHBOARD_ROWS]
        ),
    }
    # The dashboard shows case content: one access-log row naming every case it listed (issue #13 item 7).
    shown = {row.pk if isinstance(row, Case) else row.case_id for rows in lists.values() for row in rows}
    audit_record(actor=user, event=EventType.CASES_LISTED, data={"page": "home", "cases": sorted(shown)})
    return render(
        request,
        "home.html",
        {
            **lists,
            "today": timezone.localdate(),
            "grave_hidden": grave_hidden,
            "verify_url": f"{reverse('accounts:otp-verify')}?{urlencode({'next': request.get_full_path()})}",
        },
    )


def _acts_to_approve(request: HttpRequest, user) -> list[ProceduralAct]:
    """The first DASHBOARD_ROWS submitted acts the user may approve, in the acts' order (their case's,
    newest first, then number), in two short statements instead of one long one.

    As one query (``ProceduralAct.objects.restrict(user, "approve")``) PostgreSQL walked the cases
    newest first and, for each, read its acts before testing the case's access: ~40 ms for a
    regional supervisor at 200,000 cases. Here the cases come first: the newest approvable cases
    with a submitted act, access tested per case and the act probed per visible case
    (``RowExists``: never all submitted acts collected first); then the acts of those at most
    DASHBOARD_ROWS cases. The same acts: each case found holds at least one submitted act, so the
    first DASHBOARD_ROWS acts lie in the first DASHBOARD_ROWS such cases."""
    cases, _ = grave_hidden_for(request, Case.objects.restrict(user, "approve"))
    submitted = ProceduralAct.objects.filter(case=OuterRef("pk"), status=ActStatus.SUBMITTED).values("pk")
    ids = list(
        cases.filter(RowExists(submitted))
        .order_by("-registered_at", "-pk")
        .values_list("pk", flat=True)[:DASHBOARD_ROWS]
    )
    if not ids:
        return []
    acts = ProceduralAct.objects.restrict(user, "approve").filter(case_id__in=ids, status=ActStatus.SUBMITTED)
    return list(acts.select_related("case", "act_type", "author")[:DASHBOARD_ROWS])
