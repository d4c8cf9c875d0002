"""The address a request came from, the one answer for audit rows, lockout logs and rate limits.

Behind the TLS proxy a deployment runs (ECASE_BEHIND_TLS_PROXY) REMOTE_ADDR is the proxy
itself. The client is then the address the proxy appended last to X-Forwarded-For; whatever
stands before it was written by the client and may be forged, so it is never used — a client
must not choose whose rate-limit window it counts in, nor what the audit trail says of it.
"""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.ECASE_PROXY_COUNT
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    # Each trusted proxy appends the address it received the request from.
    return hops[-proxies] if len(hops) >= proxies else remote
