"""Fixed-window rate limits in the shared cache (the database by default, so every process counts)."""

import hashlib
import time

from django.core.cache import cache


def allow(scope, ident, limit, window_seconds):
    """Count one hit for (scope, ident); False once `limit` hits happened in the current window."""
    if not ident or limit <= 0:
        return True
    window = int(time.time() // window_seconds)
    digest = hashlib.sha256(str(ident).encode()).hexdigest()[:24]  # no raw IPs or phone numbers as keys
    key = f"rl:{scope}:{digest}:{window}"
    if cache.add(key, 1, timeout=window_seconds + 5):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds + 5)
        return True
    return count <= limit


def client_ip(request):
    # Behind the city's proxy set SIKESAL_TRUST_X_FORWARDED_FOR; otherwise the socket address is the truth.
    from django.conf import settings

    if getattr(settings, "SIKESAL_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")
