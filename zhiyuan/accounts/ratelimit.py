"""Fixed-window rate limiting on the shared cache (database cache by default, so all server
processes share the counters)."""

import time

from django.core.cache import cache


def rate_limit_hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one request for ``key``; True when the limit for the current window is exceeded."""
    bucket = f"rl:{key}:{int(time.time() // window_seconds)}"
    if cache.add(bucket, 1, timeout=window_seconds + 1):
        return False
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, timeout=window_seconds + 1)
        return False
    return count > limit
