"""The base views every page of case data inherits (EXAMPLES §2).

``CaseScopedView`` will not run without a ``queryset`` and a ``permission_action``: the
object is looked up in ``queryset.restrict(user, action)`` only. Absent and out-of-scope
objects raise OutOfScope (404, identical), visible-but-not-allowed raise NotAllowed (403);
ScopeErrorMiddleware answers and logs both.

``PublicView`` is the one escape hatch for pages without login (sign-in, verification of a
signed act): grep for it.
"""
from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.views import View

from .errors import NotAllowed, OutOfScope


class CaseScopedView(LoginRequiredMixin, View):
    queryset: models.QuerySet | None = None
    permission_action: str | None = None
    pk_url_kwarg = "pk"

    def dispatch(self, request, *args, **kwargs):
        if self.queryset is None or self.permission_action is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a queryset and a permission_action")
        return super().dispatch(request, *args, **kwargs)

    def scoped(self, action: str | None = None) -> models.QuerySet:
        return self.queryset.restrict(self.request.user, action or self.permission_action)

    def get_object(self, action: str | None = None):
        pk = self.kwargs[self.pk_url_kwarg]
        obj = self.scoped(action).filter(pk=pk).first()
        if obj is not None:
            return obj
        case_id = self.queryset.case_id_of(pk)
        if case_id is not None and self.scoped("view").filter(pk=pk).exists():
            raise NotAllowed(f"{self.request.user} may not {action or self.permission_action}", case_id=case_id)
        raise OutOfScope("not found", case_id=case_id)


class PublicView(View):
    """A page anyone may open. Keep these few, and never show case content on them."""
