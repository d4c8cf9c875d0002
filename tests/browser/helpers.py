"""Signing in through the real pages, second factor included."""
from __future__ import annotations

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD


def code(device: TOTPDevice, ahead: int = 0) -> str:
    """The device's current code; ``ahead`` steps later for a second code in the same 30 s (no replay)."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead):06d}"


def sign_in(page, user, *, enrol: bool = False) -> TOTPDevice:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    if enrol:
        page.wait_for_url("**/accounts/2fa/setup/**")
        device = TOTPDevice.objects.get(user=user, confirmed=False)
    else:
        page.wait_for_url("**/accounts/2fa/verify/**")
        device = TOTPDevice.objects.get(user=user, confirmed=True)
    page.fill("#id_token", code(device))
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/" not in url)
    return device


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
