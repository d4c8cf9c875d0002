"""Signing a test client in as a fully verified user (password and second factor)."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.freshness import OTP_AT, REAUTH_AT, stamp


def enrol(user) -> TOTPDevice:
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "test"})
    return device


def verified_client(user, *, reauthenticated: bool = False) -> Client:
    client = Client()
    if user is None:
        return client
    device = enrol(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    request = type("R", (), {"session": session})()
    stamp(request, OTP_AT, *((REAUTH_AT,) if reauthenticated else ()))
    session.save()
    return client


def age_second_factor(client: Client, minutes: int = 16) -> Client:
    """Backdate the session's second factor: old enough to refuse a grave case (15 minutes), fine for the rest."""
    session = client.session
    session[OTP_AT] = (timezone.now() - timedelta(minutes=minutes)).isoformat()
    session.save()
    return client


def stale_otp_client(user) -> Client:
    """Signed in and verified, but the second factor is 16 minutes old: enough for an ordinary case only."""
    return age_second_factor(verified_client(user))
