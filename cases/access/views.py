"""The base views every page of case data inherits (EXAMPLES §2).

``CaseScopedView`` will not run without a ``queryset`` and a ``permission_action``: the
object is looked up in ``queryset.restrict(user, action)`` only. Absent and out-of-scope
objects raise OutOfScope (404, identical), visible-but-not-allowed raise NotAllowed (403);
ScopeErrorMiddleware answers and logs both.

Grave and especially grave cases (extended protection): every object of such a case — the
case, an act, its PDF, the review page, an evidence item, a file, a participant — opens only
with a second factor confirmed within ECASE_GRAVE_CASE_OTP_MINUTES. ``get_object`` checks it
for anything in the user's view scope (before the 403 of a not-allowed action), and the same
check (``cases.access.grave.second_factor_check``) runs in every service the view calls, under
the case's row lock (``case_check``), so a case requalified as grave meanwhile is refused too. Either way the user is sent to confirm
the code and back to the page they asked for; nothing of the case is served or written.

``PublicView`` is the one escape hatch for pages without login (sign-in, verification of a
signed act): grep for it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import View

from ecase.errors import NotAllowed, OutOfScope, SecondFactorRequired

from ..models import Case
from ..models.case import CaseScopedQuerySet
from .grave import second_factor_check
from .locking import case_check
from .objects import case_id_for


class CaseScopedView(LoginRequiredMixin, View):
    queryset: CaseScopedQuerySet | None = None
    permission_action: str | None = None
    pk_url_kwarg = "pk"
    # Pages and forms: Django's View would answer OPTIONS itself, before any object is looked up.
    http_method_names = ["get", "head", "post"]

    def dispatch(self, request, *args, **kwargs):
        if self.queryset is None or self.permission_action is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a queryset and a permission_action")
        try:
            with case_check(self.check_locked_case):
                return super().dispatch(request, *args, **kwargs)
        except SecondFactorRequired as refusal:
            return self.confirm_second_factor(refusal.case_id)

    def restrictable(self) -> CaseScopedQuerySet:
        """``queryset``, which ``dispatch`` made sure of before any handler runs."""
        if self.queryset is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a queryset")
        return self.queryset

    def chosen_action(self, action: str | None = None) -> str:
        """``action``, or else the view's ``permission_action`` (which ``dispatch`` made sure of)."""
        action = action or self.permission_action
        if action is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a permission_action")
        return action

    def scoped(self, action: str | None = None) -> models.QuerySet:
        return self.restrictable().restrict(self.request.user, self.chosen_action(action))

    def get_object(self, action: str | None = None):
        pk = self.kwargs[self.pk_url_kwarg]
        obj = self.scoped(action).filter(pk=pk).first()
        if obj is not None:
            second_factor_check(self.request, obj)
            return obj
        case_id = case_id_for(self.restrictable(), pk)
        visible = self.scoped("view").filter(pk=pk).first() if case_id is not None else None
        if visible is not None:
            # In the view scope: a grave case asks for the second factor before anything else.
            second_factor_check(self.request, visible)
            raise NotAllowed(f"{self.request.user} may not {self.chosen_action(action)}", case_id=case_id)
        raise OutOfScope("not found", case_id=case_id)

    def check_locked_case(self, case: Case) -> None:
        """Run by the services on the locked case row (``cases.access.locking.case_check``)."""
        second_factor_check(self.request, case)

    def confirm_second_factor(self, case_id: int | None) -> HttpResponse:
        """To the second-factor page, and from there back to the page asked for.

        A GET returns to its own URL; a form sent without a recent code returns to the page of
        the form (the same URL, when the view has one) or else to the case, and is sent again.
        """
        request = self.request
        back = request.get_full_path()
        if request.method not in ("GET", "HEAD") and not hasattr(self, "get"):
            back = reverse("cases:detail", args=[case_id]) if case_id is not None else "/"
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
            back = "/"
        target = f"{reverse('accounts:otp-verify')}?{urlencode({'next': back})}"
        messages.info(
            request,
            _(
                "A case of a grave or especially grave crime: enter the code from your "
                "authenticator app again to open it."
            ),
        )
        if request.headers.get("HX-Request"):
            # htmx would swap the code page into the tab: let the browser go there instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)


class PublicView(View):
    """A page anyone may open. Keep these few, and never show case content on them."""
