"""Who reaches the administration workspace: a signed-in, active administrator, nobody else.

The second factor is already required for every signed-in page (``TwoFactorRequiredMiddleware``).
Anyone else signed in gets 403, as on any route of the site that is not for their role; the
anonymous visitor the login page. Every page takes GET (HEAD) and, if it is a form, POST; any
other method answers 405.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from ..choices import Role
from ..models import User

View = Callable[..., HttpResponse]


def is_administrator(user) -> bool:
    return bool(user.is_authenticated and user.is_active and getattr(user, "role", None) == Role.ADMINISTRATOR)


def _administrators(methods: list[str]) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        checked = require_http_methods(methods)(view)

        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not is_administrator(request.user):
                raise PermissionDenied
            return checked(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate


page = _administrators(["GET", "HEAD"])
"""A page that only shows (lists, reference data)."""

form = _administrators(["GET", "HEAD", "POST"])
"""A page with a form that writes through a service."""


def administrator(request: HttpRequest) -> User:
    """The acting administrator of a request that passed ``page`` or ``form``."""
    user = request.user
    assert isinstance(user, User) and is_administrator(user)
    return user
