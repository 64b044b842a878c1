"""Fixed-window rate limits counted in the database, so every process and node shares the count.

One hit is one statement (an upsert that returns the new count). The public track page and the API check
a limit on every request, and the cache-based version cost four queries and a write lock per hit.
"""

import hashlib
import random
import time

from django.db import connection

from sikesal.core.models import RateCounter

# One call in this many also deletes counters whose window has ended.
PURGE_ONE_IN = 500


def allow(scope, ident, limit, window_seconds, cost=1):
    """Count `cost` hits for (scope, ident); False once `limit` hits happened in the current window."""
    if not ident or limit <= 0:
        return True
    now = int(time.time())
    window = now // window_seconds
    digest = hashlib.sha256(str(ident).encode()).hexdigest()[:24]  # no raw IPs or phone numbers as keys
    key = f"{scope}:{digest}:{window}"
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, hits, expires) VALUES (%s, %s, %s) "  # noqa: S608 (our own table name)
            f"ON CONFLICT (key) DO UPDATE SET hits = {table}.hits + %s RETURNING hits",
            [key, cost, (window + 1) * window_seconds, cost],
        )
        hits = cursor.fetchone()[0]
        if random.randrange(PURGE_ONE_IN) == 0:  # noqa: S311 (not security: when to tidy up)
            cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608
    return hits <= limit


def _counter_key(scope, ident):
    return f"{scope}:{hashlib.sha256(str(ident).encode()).hexdigest()[:24]}"


def strike(scope, ident, ttl_seconds):
    """Add one to a counter that lives `ttl_seconds` from its first hit; return the new count.

    Unlike `allow`, the count does not start again at a clock boundary: it is for "N failures, then wait",
    where a window ending half-way would hand out a fresh set of tries. One atomic statement, so parallel
    requests each see their own number and never more than the limit get through.
    """
    now = int(time.time())
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, hits, expires) VALUES (%s, 1, %s) "  # noqa: S608 (our own table name)
            f"ON CONFLICT (key) DO UPDATE SET "
            f"hits = CASE WHEN {table}.expires <= %s THEN 1 ELSE {table}.hits + 1 END, "
            f"expires = CASE WHEN {table}.expires <= %s THEN excluded.expires ELSE {table}.expires END "
            f"RETURNING hits",
            [_counter_key(scope, ident), now + ttl_seconds, now, now],
        )
        return cursor.fetchone()[0]


def strikes(scope, ident):
    """The current count of a `strike` counter (0 once it has expired)."""
    row = RateCounter.objects.filter(key=_counter_key(scope, ident), expires__gt=int(time.time())).first()
    return row.hits if row else 0


def forgive(scope, ident):
    RateCounter.objects.filter(key=_counter_key(scope, ident)).delete()


def client_ip(request):
    """The client's address for limits and the audit log.

    Behind N trusted proxies (SIKESAL_TRUSTED_PROXIES) that each append to X-Forwarded-For, the client is
    the Nth address from the right: the first one a proxy of ours wrote. Addresses further left come from
    the client and are never believed. With no proxy (0), or a header shorter than N, the socket's address.
    """
    from django.conf import settings

    trusted = getattr(settings, "SIKESAL_TRUSTED_PROXIES", 0)
    remote = request.META.get("REMOTE_ADDR", "")
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < trusted:
        return remote
    return hops[-trusted]


def lookup_allowed(request, numbers=1):
    """Looking reports up by number (track page, public page, Open311 ids and tokens): one shared budget
    per address, each number counted, so numbers cannot be enumerated on any channel."""
    from django.conf import settings

    limit = settings.SIKESAL_RATE_LIMITS["track_per_ip_per_minute"]
    return allow("track-ip", client_ip(request), limit, 60, cost=max(1, numbers))
