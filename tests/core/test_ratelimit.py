"""Fixed-window rate limits counted in the database (one upsert per hit), each test at a pinned instant:
a window boundary falling half-way through would otherwise start a fresh count."""

import time

import pytest

from sikesal.core import ratelimit
from sikesal.core.models import RateCounter
from tests.conftest import wib

pytestmark = pytest.mark.django_db


def test_limit_counts_each_caller_and_scope_apart(clock):
    assert [ratelimit.allow("track-ip", "10.0.0.1", 3, 60) for _ in range(4)] == [True, True, True, False]
    # Another caller and the same caller under another limit each have their own count.
    assert ratelimit.allow("track-ip", "10.0.0.2", 3, 60)
    assert ratelimit.allow("otp-ip", "10.0.0.1", 3, 60)
    # Keys never hold the raw address.
    assert not RateCounter.objects.filter(key__contains="10.0.0").exists()


def test_a_new_window_starts_a_new_count(clock):
    clock.move_to(wib(2026, 11, 2, 9, 0, 0), tick=False)  # a minute's first second
    assert ratelimit.allow("api-key", 7, 1, 60)
    assert not ratelimit.allow("api-key", 7, 1, 60)
    clock.shift(59)
    assert not ratelimit.allow("api-key", 7, 1, 60)
    clock.shift(1)
    assert ratelimit.allow("api-key", 7, 1, 60)


def test_a_daily_window_holds_until_midnight_utc(clock):
    """A day's window is the UTC day: it ends at 07:00 WIB, and not a second before."""
    clock.move_to(wib(2026, 11, 2, 7, 0, 0), tick=False)
    assert [ratelimit.allow("file-contact", "0812", 2, 86400) for _ in range(3)] == [True, True, False]
    clock.move_to(wib(2026, 11, 3, 6, 59, 59), tick=False)
    assert not ratelimit.allow("file-contact", "0812", 2, 86400)
    clock.shift(1)
    assert ratelimit.allow("file-contact", "0812", 2, 86400)


def test_ended_windows_are_purged(monkeypatch, clock):
    monkeypatch.setattr(ratelimit, "PURGE_ONE_IN", 1)
    RateCounter.objects.create(key="old", hits=5, expires=int(time.time()) - 1)
    ratelimit.allow("track-ip", "10.0.0.9", 60, 60)
    assert not RateCounter.objects.filter(key="old").exists()
    assert RateCounter.objects.count() == 1


def test_no_identity_is_not_counted_and_a_limit_of_zero_allows_nothing():
    assert ratelimit.allow("track-ip", "", 1, 60)
    assert not ratelimit.allow("track-ip", "x", 0, 60)  # a key set to 0 a minute is switched off, not unlimited
    assert not RateCounter.objects.exists()


def _counted(scope, ident):
    from sikesal.core.ratelimit import _counter_key

    prefix = _counter_key(scope, ident)
    return sum(RateCounter.objects.filter(key__startswith=prefix + ":").values_list("hits", flat=True))


def test_a_busy_partner_far_below_its_limit_is_written_once_a_second(monkeypatch, clock, django_assert_max_num_queries):
    # The flush interval is measured on time.monotonic, which the pinned clock leaves running.
    ticks = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: ticks[0])
    # 6,000 a minute: a super app filing hundreds of reports a second must not add a write to each one.
    with django_assert_max_num_queries(4):  # the first hit's write (and its transaction) only
        assert all(ratelimit.allow("api-key", 42, 6000, 60) for _ in range(100))
    assert _counted("api-key", 42) == 1
    ticks[0] += 1.5  # a second later the next hit writes what was held back
    assert ratelimit.allow("api-key", 42, 6000, 60)
    assert _counted("api-key", 42) == 101


def test_near_its_limit_every_hit_is_counted_exactly(monkeypatch, clock):
    ticks = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: ticks[0])
    # Another process has already used 990 of this key's 1,000 hits in this minute's window.
    minute = int(time.time()) // 60
    RateCounter.objects.create(
        key=f"{ratelimit._counter_key('api-key', 7)}:{minute}", hits=990, expires=(minute + 1) * 60
    )
    answers = [ratelimit.allow("api-key", 7, 1000, 60) for _ in range(20)]
    # The first hit is written at once (nothing written yet), it learns of the 990, and from then on the
    # count is near the limit: exactly 10 more get through, whatever this process held back.
    assert answers.count(True) == 10 and answers[:10] == [True] * 10
    assert _counted("api-key", 7) == 1010


def test_what_each_process_holds_back_is_bounded(monkeypatch, clock):
    """Two processes sharing one key (the second's state simulated by swapping the tallies): together
    they never let through more than the limit plus what one other process may hold back."""
    ticks = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: ticks[0])
    limit = 5000
    mine, theirs = {}, {}
    allowed = 0
    for i in range(12000):
        tallies = mine if i % 2 else theirs
        monkeypatch.setattr(ratelimit, "_tallies", tallies)
        ticks[0] += 0.001
        allowed += ratelimit.allow("api-key", 9, limit, 60)
    assert limit <= allowed <= limit + limit * ratelimit.BATCH_SHARE
