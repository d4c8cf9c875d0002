"""Signing a test client in as a fully verified user (password and second factor)."""
from __future__ import annotations

from django.test import Client
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
