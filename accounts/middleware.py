"""Session rules: idle timeout, absolute lifetime, and the second factor before anything else."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django_otp import user_has_device

from ecase.api_errors import error_response

from .freshness import AUTH_AT, SEEN_AT, age, stamp
from .services import session_seen

# Reachable before the second factor: signing in and out, enrolling, confirming, public pages.
UNVERIFIED_ALLOWED = ("/accounts/login/", "/accounts/logout/", "/accounts/2fa/", "/static/", "/healthz", "/verify/")
TOUCH_EVERY = timedelta(minutes=1)
# The JSON API answers in JSON, not with redirects to pages; its token requests carry no session.
API_PREFIX = "/api/"


def _api_bearer_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX) and request.headers.get("Authorization", "")[:7].lower() == "bearer "


class SessionPolicyMiddleware:
    """End a session idle for longer than ECASE_IDLE_TIMEOUT or older than ECASE_SESSION_LIFETIME."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            since_login, idle = age(request, AUTH_AT), age(request, SEEN_AT)
            if (
                since_login is None
                or since_login > settings.ECASE_SESSION_LIFETIME
                or (idle is not None and idle > settings.ECASE_IDLE_TIMEOUT)
            ):
                logout(request)
                if request.path.startswith(API_PREFIX):
                    return self.get_response(request)  # now anonymous: the API answers 401 itself
                return redirect_to_login(request.get_full_path())
            # The session is written only when it changes (SESSION_SAVE_EVERY_REQUEST is off), and
            # "seen" changes at most once a minute: a write and a commit per request was the largest
            # part of a page's cost under load (bench/RESULTS_LOAD.md). The idle timeout is thereby
            # measured from up to TOUCH_EVERY earlier than the last request: it ends a session early,
            # never late.
            if idle is None or idle > TOUCH_EVERY:
                key = request.session.session_key  # a signed-in session has one: login saved it
                if key is not None:
                    session_seen(session_key=key)
                stamp(request, SEEN_AT)
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Every signed-in user confirms a TOTP code before reaching anything (enrolment on first login)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not user.is_verified() and not request.path.startswith(UNVERIFIED_ALLOWED):
            if _api_bearer_request(request):
                return self.get_response(request)  # the token authenticates, not this session
            if request.path.startswith(API_PREFIX):
                return error_response(
                    403,
                    "second_factor_required",
                    translation.gettext("Confirm your second factor in the browser first."),
                    request,
                )
            target = "accounts:otp-verify" if user_has_device(user) else "accounts:otp-setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class UserLanguageMiddleware:
    """The interface speaks the signed-in user's language (kk, ru or en), chosen on their profile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
