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


# Every visible form control of the page's content with no label the browser would announce.
UNLABELLED = """() => Array.from(document.querySelectorAll('main input:not([type=hidden]), main select, main textarea'))
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
    .map(e => e.name || e.id || e.outerHTML)"""

# The focused element shows a focus indicator: an outline of at least 2px, or a box-shadow ring.
FOCUS_VISIBLE = """() => { const e = document.activeElement, s = getComputedStyle(e);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'; }"""


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until ``selector`` has the focus; every element passed on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
        assert page.evaluate(FOCUS_VISIBLE), f"no visible focus on {focused}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached with Tab in {limit} presses")


def choose_with_arrows(page, selector: str, value: str, limit: int = 30) -> None:
    """In the focused <select>, press ArrowDown until ``value`` is chosen (no mouse, no dropdown)."""
    for _ in range(limit):
        if page.eval_on_selector(selector, "e => Array.from(e.selectedOptions).map(o => o.value)") == [value]:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value} not reached in {selector}")
