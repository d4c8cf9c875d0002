"""The one fixed-window request counter: API throttles, refused tokens, public verification uploads.

Counters live in Django's cache, which is Redis when REDIS_URL is set, so every worker process
and every host counts against the same window. Windows are aligned to the clock; ``add``
creates a window's counter once (SET NX) and ``incr`` is atomic in Redis, so concurrent requests
in different processes are counted exactly (a read-modify-write list of timestamps, DRF's
SimpleRateThrottle, loses counts when two workers write it back at once).

**When the cache is unreachable the limit fails safe, never to a 500** (issue #20): the request
is counted in this process' own memory instead, against the same limit. Each process then
allows the limit on its own — looser by the number of processes, but still a limit, and the
pages, the API and the verification page keep answering while Redis is away. The switch is
logged once per outage per process, so the operator sees it.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import cache

logger = logging.getLogger("ecase.ratelimit")
_local: dict[str, int] = {}
_local_lock = threading.Lock()
_degraded = threading.Event()


def count(key: str, period: int) -> tuple[int, float]:
    """Count one request against ``key`` in the current window of ``period`` seconds.

    Returns the window's count so far, this request included, and the seconds until the window ends.
    """
    now = time.time()
    window = int(now // period)
    counter = f"ratelimit:{key}:{window}"
    try:
        value = _count_shared(counter, period)
    except Exception as error:
        if not _degraded.is_set():
            _degraded.set()
            logger.error("rate limits: the shared cache is unreachable (%s); counting per process", error)
        value = _count_local(counter, window)
    else:
        if _degraded.is_set():
            _degraded.clear()
            logger.warning("rate limits: the shared cache answers again")
    return value, (window + 1) * period - now


def allow(scope: str, who: str, *, limit: int, window: int) -> bool:
    """Count one request of ``who`` in ``scope``; False once ``limit`` is reached in this window."""
    return count(f"{scope}:{who}", window)[0] <= limit


def _count_shared(counter: str, period: int) -> int:
    cache.add(counter, 0, timeout=period + 1)  # starts the window; a no-op while one runs
    try:
        return cache.incr(counter)
    except ValueError:  # the counter expired between add and incr: the window has just ended
        cache.add(counter, 1, timeout=period + 1)
        return 1


def _count_local(counter: str, window: int) -> int:
    with _local_lock:
        # Drop the counters of past windows so a long outage does not grow the dict without bound.
        for stale in [k for k in _local if int(k.rsplit(":", 1)[1]) < window]:
            del _local[stale]
        _local[counter] = _local.get(counter, 0) + 1
        return _local[counter]
