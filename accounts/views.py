"""Sign-in flow pages: second factor (enrolment, confirmation), re-authentication, own sessions."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.choices import EventType
from audit.services import audit_record

from .forms import ReauthForm, TokenForm
from .freshness import OTP_AT, REAUTH_AT, stamp
from .models import User
from .services import (
    active_sessions,
    otp_check,
    otp_confirmed_device,
    otp_device_for_enrolment,
    otp_enrol,
    session_end,
    user_change_own_password,
    user_set_language,
)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return (
        target
        if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
        else "/"
    )


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def _signed_in(request: HttpRequest) -> User:
    """The user of a page behind ``login_required`` (which sends anyone anonymous to sign in first)."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied  # not reached behind login_required
    return user


def _second_factor_confirmed(request: HttpRequest, device: TOTPDevice) -> None:
    """The session's part of a good code (the service has checked and audited it)."""
    otp_login(request, device)
    stamp(request, OTP_AT)


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """First sign-in: enrol an authenticator app (TOTP, RFC 6238) and confirm it with a code."""
    actor = _signed_in(request)
    device = otp_device_for_enrolment(actor=actor)
    if device is None:
        raise Http404  # enrolled already: a second device is added by an administrator only
    form = TokenForm(request.POST or None)
    if form.is_valid():
        if otp_enrol(actor=actor, device=device, token=form.cleaned_data["token"]):
            _second_factor_confirmed(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("The code is not valid. Check the time on your phone and try again."))
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr": mark_safe(_qr_svg(device.config_url)),
            "next": _next_url(request),
            "secret_base32": base64.b32encode(device.bin_key).decode().rstrip("="),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Confirm the second factor: after sign-in, and again before opening a grave case."""
    actor = _signed_in(request)
    device = otp_confirmed_device(actor)
    if device is None:
        return redirect("accounts:otp-setup")
    form = TokenForm(request.POST or None)
    if form.is_valid():
        token = form.cleaned_data["token"]
        if otp_check(actor=actor, device=device, token=token, event=EventType.OTP_VERIFIED):
            _second_factor_confirmed(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("The code is not valid."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


@login_required
@require_http_methods(["GET", "POST"])
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Password and second factor again, before a decision such as approving an act."""
    actor = _signed_in(request)
    form = ReauthForm(request.POST or None)
    if form.is_valid():
        user = authenticate(request, username=actor.get_username(), password=form.cleaned_data["password"])
        device = otp_confirmed_device(actor)
        if user is None or user.pk != actor.pk:
            form.add_error("password", _("The password is not correct."))
        elif device is None or not otp_check(actor=actor, device=device, token=form.cleaned_data["token"]):
            form.add_error("token", _("The code is not valid."))
        else:
            _second_factor_confirmed(request, device)
            stamp(request, REAUTH_AT, OTP_AT)
            audit_record(actor=actor, event=EventType.REAUTHENTICATED)
            return redirect(_next_url(request))
    return render(request, "accounts/reauthenticate.html", {"form": form, "next": _next_url(request)})


@login_required
@require_http_methods(["GET", "POST"])
def sessions(request: HttpRequest) -> HttpResponse:
    """The user's own signed-in sessions; any of them can be ended here."""
    actor = _signed_in(request)
    if request.method == "POST":
        key = request.POST.get("session_key", "")
        if session_end(actor=actor, session_key=key, current_key=request.session.session_key):
            if key == request.session.session_key:
                logout(request)
                return redirect("login")
        return redirect("accounts:sessions")
    return render(
        request,
        "accounts/sessions.html",
        {
            "sessions": active_sessions(actor),
            "current": request.session.session_key,
        },
    )


@require_http_methods(["POST"])
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; it is kept on the user, so it follows them to any computer.

    Before sign-in (the login and verification pages) there is no profile yet: the choice is kept in
    Django's language cookie, which LocaleMiddleware reads; once signed in, the profile's language wins
    (UserLanguageMiddleware).
    """
    language = request.POST.get("language", "")
    response = redirect(_next_url(request))
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        request.user.language = user_set_language(actor=request.user, language=language).language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page (old password checked by its form); the change is saved by the audited service."""

    success_url = "/"
    # Django's form views answer PUT like POST; this page is a form, nothing else.
    http_method_names = ["get", "head", "post"]

    def form_valid(self, form):
        user = user_change_own_password(actor=self.request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)  # this session stays signed in; the others end
        return HttpResponseRedirect(self.get_success_url())
