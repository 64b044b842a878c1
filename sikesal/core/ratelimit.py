"""Fixed-window rate limits counted in the database, so every process and node shares the count.

A hit far below its limit is counted in this process first and written with the others at most once a
second (`FLUSH_SECONDS`): a partner app filing hundreds of reports a second would otherwise add a write
transaction of its own to each report, and on SQLite every writer waits for the one before it. Once a
count comes near its limit (`LOCAL_SHARE` of it), or the hits kept here would reach `BATCH_SHARE` of it,
every hit is one statement (an upsert that returns the count of all processes), so the limit itself is
exact. Small limits (a few an hour, a minute: filing from the web, OTPs, looking numbers up) are always
counted one statement per hit. What other processes hold back is at most `BATCH_SHARE` of the limit each.
"""

import contextlib
import hashlib
import ipaddress
import random
import threading
import time

from django.db import connection, transaction

from sikesal.core.models import RateCounter

# One flush in this many also deletes counters whose window has ended.
PURGE_ONE_IN = 500
FLUSH_SECONDS = 1.0
LOCAL_SHARE = 0.25
BATCH_SHARE = 0.02


class _Tally:
    __slots__ = ("expires", "known", "pending")

    def __init__(self, expires):
        self.expires = expires  # the end of the window, in epoch seconds
        self.known = 0  # the count of every process, as the database last answered
        self.pending = 0  # hits counted here and not yet written


_lock = threading.Lock()
_tallies = {}
_flushed = [0.0]  # time.monotonic() of the last write of the pending hits


def forget_local():
    """Drop what this process holds back (tests: each starts from the database alone)."""
    with _lock:
        _tallies.clear()
        _flushed[0] = 0.0


def allow(scope, ident, limit, window_seconds, cost=1):
    """Count `cost` hits for (scope, ident); False once `limit` hits happened in the current window.

    A limit of 0 (or less) allows nothing: a partner key set to 0 a minute is a key switched off, not one
    without a limit. The limits in settings are refused at start below 1 (settings.py)."""
    if limit <= 0:
        return False
    if not ident:
        return True
    now = int(time.time())
    key, expires = _window_key(scope, ident, window_seconds, now)
    if cost > limit * BATCH_SHARE and time.monotonic() - _flushed[0] < FLUSH_SECONDS:
        # A small limit, never counted here first: this key's statement alone. Going through every key this
        # process has seen (below) cost 0.3 ms a WhatsApp message with 500 citizens writing; what the
        # others hold back is written by the first hit after FLUSH_SECONDS, as before.
        return _write({key: (cost, expires)}, now)[key] <= limit
    with _lock:
        tally = _tallies.get(key)
        if tally is None:
            tally = _tallies[key] = _Tally(expires)
        local = (
            tally.pending + cost <= limit * BATCH_SHARE and tally.known + tally.pending + cost <= limit * LOCAL_SHARE
        )
        if local:
            tally.pending += cost
            if time.monotonic() - _flushed[0] < FLUSH_SECONDS:
                return True
        charges = _take_pending(now, key, 0 if local else cost)
    counts = _write(charges, now)
    return local or counts[key] <= limit


def _window_key(scope, ident, window_seconds, now):
    """The counter of (scope, ident) in the window `now` falls in, and when that window ends."""
    window = now // window_seconds
    digest = hashlib.sha256(str(ident).encode()).hexdigest()[:24]  # no raw IPs or phone numbers as keys
    return f"{scope}:{digest}:{window}", (window + 1) * window_seconds


def _take_pending(now, key, cost):
    """Under the lock: every pending count to write, with `cost` more for `key`, taken off the tallies."""
    _flushed[0] = time.monotonic()
    charges = {}
    for name, tally in list(_tallies.items()):
        if tally.expires <= now:
            del _tallies[name]  # its window has ended: nobody asks for it again
        elif tally.pending or name == key:
            charges[name] = (tally.pending + (cost if name == key else 0), tally.expires)
            tally.pending = 0
    return charges


def _write(charges, now):
    """Add each charge to its counter; returns the counts of all processes, remembered as `known`."""
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:  # one write transaction for every key
        for key, (hits, expires) in charges.items():
            cursor.execute(
                f"INSERT INTO {table} (key, hits, expires) VALUES (%s, %s, %s) "  # noqa: S608 (our own table name)
                f"ON CONFLICT (key) DO UPDATE SET hits = {table}.hits + %s RETURNING hits",
                [key, hits, expires, hits],
            )
            counts[key] = cursor.fetchone()[0]
        if random.randrange(PURGE_ONE_IN) == 0:  # noqa: S311 (not security: when to tidy up)
            cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608
    with _lock:
        for key, hits in counts.items():
            if key in _tallies:
                _tallies[key].known = max(_tallies[key].known, hits)
    return counts


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


def client_key(request):
    """The client's address as every per-address limit counts it: an IPv4 address, or the /64 network of an
    IPv6 address. One IPv6 subscriber is given a whole /64 (RFC 6177 and every ISP's practice), so counting
    each address would hand whoever has one 2^64 fresh budgets, password guesses included. An IPv4 address
    written as IPv6 (::ffff:a.b.c.d) is that IPv4 address. The audit log keeps the full address (client_ip)."""
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])  # a zone (fe80::1%eth0) names no other host
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def lookup_allowed(request, numbers=1):
    """Looking reports up by number (track page, public page, Open311 ids and tokens): one shared budget
    per address, each number counted, so numbers cannot be enumerated on any channel."""
    from django.conf import settings

    limit = settings.SIKESAL_RATE_LIMITS["track_per_ip_per_minute"]
    return allow("track-ip", client_key(request), limit, 60, cost=max(1, numbers))


def browser_id(request):
    """This browser, and no other: a hash of its CSRF secret, which every POST carries (the form's
    idempotency key, its staged files, its filing budget are kept per browser)."""
    return hashlib.sha256(str(request.META.get("CSRF_COOKIE", "")).encode()).hexdigest()[:12]


def _filing_budgets(request, reporter):
    """(scope, ident, limit, window) for each budget a filing counts against.

    A person is what the limit is for: behind a mobile carrier's NAT hundreds of citizens share one address,
    so the address keeps a budget of its own but a much larger one (`file_per_ip_per_hour`), and the person
    has the small one (`file_per_person_per_hour`): the logged-in account, or else this browser. Each
    contact the report leaves, and the account's own, has one a day (`file_per_contact_per_day`): filing
    through another door, or naming a third party's address, gets no new allowance."""
    from django.conf import settings

    from sikesal.complaints.intake import canonical_phone

    limits = settings.SIKESAL_RATE_LIMITS
    yield "file-ip", client_key(request), limits["file_per_ip_per_hour"], 3600
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    person = f"account:{user.pk}" if signed_in else f"browser:{browser_id(request)}"
    yield "file-person", person, limits["file_per_person_per_hour"], 3600
    given = [(reporter or {}).get("email"), (reporter or {}).get("phone")]
    if signed_in:
        given += [user.email, user.phone]
    contacts = set()
    for raw in given:
        text = str(raw or "").strip().lower()
        if "@" not in text and text:
            with contextlib.suppress(ValueError):  # not a number the channels know: counted as typed
                text = canonical_phone(text)
        if text:
            contacts.add(text)
    for contact in sorted(contacts):
        yield "file-contact", contact, limits["file_per_contact_per_day"], 86400


class FilingBudget:
    """The web form's limits on filing, for every door a person files through in a browser session (the
    form, and REST called with that session). Created before filing, it counts one report against each
    budget (`allowed` is False once one is spent); `refund()` gives the counts back when no report was
    filed after all (refused fields, the duplicate hint, a limit): only reports filed count. Counting first
    and giving back keeps the limit exact when many requests arrive at once. (Partner keys have their own
    limit per key; every door also counts per sender: complaints/senders.py.)"""

    def __init__(self, request, reporter):
        self.allowed = True
        self._charged = []
        for scope, ident, limit, window in _filing_budgets(request, reporter):
            if not ident:
                continue
            self._charged.append(_window_key(scope, ident, window, int(time.time())))
            if not allow(scope, ident, limit, window):
                self.allowed = False
                break

    def refund(self):
        charged, self._charged = self._charged, []
        _give_back([key for key, _expires in charged])


def _give_back(keys):
    """Take one hit off each counter: off the hits this process still holds back, else off the database's."""
    written = []
    with _lock:
        for key in keys:
            tally = _tallies.get(key)
            if tally is not None and tally.pending > 0:
                tally.pending -= 1
            else:
                written.append(key)
    if not written:
        return
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        for key in written:
            cursor.execute(f"UPDATE {table} SET hits = hits - 1 WHERE key = %s AND hits > 0", [key])  # noqa: S608
