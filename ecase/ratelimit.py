"""A fixed-window counter in the shared cache, for the few public endpoints that do real work.

The public verification page parses and checks uploaded PDFs for anyone holding a QR code;
without a limit one client could keep the web workers busy validating signatures. Counters
live in Django's cache, which is Redis when REDIS_URL is set, so every web process counts
against the same window.
"""
from __future__ import annotations

from django.core.cache import cache


def allow(scope: str, who: str, *, limit: int, window: int) -> bool:
    """Count one request of ``who`` in ``scope``; False once ``limit`` is reached in this window."""
    key = f"ratelimit:{scope}:{who}"
    cache.add(key, 0, timeout=window)  # starts the window; a no-op while one runs
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the window expired between add and incr: this request opens a new one
        cache.add(key, 1, timeout=window)
        return True
