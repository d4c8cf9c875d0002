"""Project-level pages: the dashboard and the health check."""
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.choices import Role
from cases.models import Case, ProceduralAct
from cases.choices import ActStatus
from cases.selectors import deadlines_soon
from cases.services.term import pending_extension_requests

DASHBOARD_ROWS = 20


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What needs the user's attention: their cases by deadline, their returned acts, acts to approve,
    extension requests awaiting the prosecutor's decision."""
    user = request.user
    if user.role == Role.ADMINISTRATOR:
        return redirect("admin:index")
    cases = Case.objects.restrict(user).select_related("unit").order_by(F("deadline").asc(nulls_last=True), "-pk")
    return render(request, "home.html", {
        "cases": cases[:DASHBOARD_ROWS],
        "soon": deadlines_soon(user=user)[:DASHBOARD_ROWS],
        "today": timezone.localdate(),
        "returned": ProceduralAct.objects.restrict(user, "change").filter(author=user, status=ActStatus.RETURNED)
        .select_related("case", "act_type")[:DASHBOARD_ROWS],
        "to_approve": ProceduralAct.objects.restrict(user, "approve").filter(status=ActStatus.SUBMITTED)
        .select_related("case", "act_type", "author")[:DASHBOARD_ROWS],
        # The requests whose decision the supervisor records once the prosecutor has taken it.
        "extension_requests": pending_extension_requests(Case.objects.restrict(user, "prosecute"))
        .select_related("case", "act_type").order_by("case__deadline", "pk")[:DASHBOARD_ROWS],
    })


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the load balancer: the database answers. Reveals nothing else."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
