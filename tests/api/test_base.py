"""The API's view base refuses to run unconfigured, like the pages' CaseScopedView."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from audit.models import AuditEvent
from cases.access.api import ScopedAPIView
from cases.models import Case


class NoQueryset(ScopedAPIView):
    permission_action = "view"


class NoAction(ScopedAPIView):
    queryset = Case.objects.all()


class Unrestrictable(ScopedAPIView):
    queryset = AuditEvent.objects.all()
    permission_action = "view"


@pytest.mark.parametrize("view", [NoQueryset, NoAction, Unrestrictable])
def test_a_view_without_a_restrictable_queryset_and_an_action_is_refused(view):
    with pytest.raises(ImproperlyConfigured):
        view.as_view()


def test_every_api_view_over_case_data_inherits_the_base():
    from django.urls import get_resolver

    from accounts.api.views import MeView

    api = get_resolver().url_patterns
    views = set()

    def walk(patterns):
        for entry in patterns:
            if hasattr(entry, "url_patterns"):
                walk(entry.url_patterns)
            elif getattr(entry.callback, "cls", None) is not None and entry.pattern.describe().startswith("'v1/"):
                views.add(entry.callback.cls)

    walk(api)
    assert len(views) >= 17
    assert all(issubclass(view, ScopedAPIView) for view in views - {MeView})
