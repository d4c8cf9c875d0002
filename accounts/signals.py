"""Authentication events into the audit trail (Django and axes announce them as signals)."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from audit.choices import EventType, Outcome
from audit.services import audit_record
from ecase.client_ip import client_ip

from .models import User
from .services import session_record_login


def _client(request) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    return client_ip(request) or None, request.META.get("HTTP_USER_AGENT", "")


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    ip, agent = _client(request)
    if request is not None and request.session.session_key:
        request.session["auth_at"] = timezone.now().isoformat()  # start of the absolute lifetime
        session_record_login(user=user, session_key=request.session.session_key, ip=ip, user_agent=agent)
    audit_record(actor=user, event=EventType.LOGIN)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    user = User.objects.filter(username=username).first()
    audit_record(
        actor=user,
        actor_label=username or "anonymous",
        event=EventType.LOGIN_FAILED,
        outcome=Outcome.FAILED,
        data={"username": username},
    )


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    user = User.objects.filter(username=username).first()
    audit_record(
        actor=user,
        actor_label=username or "anonymous",
        event=EventType.LOCKOUT,
        outcome=Outcome.DENIED,
        data={"username": username, "ip": ip_address},
    )
