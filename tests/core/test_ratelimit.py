"""Fixed-window rate limits counted in the database (one upsert per hit)."""

import time

import pytest

from sikesal.core import ratelimit
from sikesal.core.models import RateCounter

pytestmark = pytest.mark.django_db


def test_limit_counts_each_caller_and_scope_apart():
    assert [ratelimit.allow("track-ip", "10.0.0.1", 3, 60) for _ in range(4)] == [True, True, True, False]
    # Another caller and the same caller under another limit each have their own count.
    assert ratelimit.allow("track-ip", "10.0.0.2", 3, 60)
    assert ratelimit.allow("otp-ip", "10.0.0.1", 3, 60)
    # Keys never hold the raw address.
    assert not RateCounter.objects.filter(key__contains="10.0.0").exists()


def test_a_new_window_starts_a_new_count(monkeypatch):
    now = 1_800_000_000.0
    monkeypatch.setattr(ratelimit.time, "time", lambda: now)
    assert ratelimit.allow("api-key", 7, 1, 60)
    assert not ratelimit.allow("api-key", 7, 1, 60)
    now += 60
    assert ratelimit.allow("api-key", 7, 1, 60)


def test_ended_windows_are_purged(monkeypatch):
    monkeypatch.setattr(ratelimit, "PURGE_ONE_IN", 1)
    RateCounter.objects.create(key="old", hits=5, expires=int(time.time()) - 1)
    ratelimit.allow("track-ip", "10.0.0.9", 60, 60)
    assert not RateCounter.objects.filter(key="old").exists()
    assert RateCounter.objects.count() == 1


def test_no_identity_or_no_limit_is_not_counted():
    assert ratelimit.allow("track-ip", "", 1, 60) and ratelimit.allow("track-ip", "x", 0, 60)
    assert not RateCounter.objects.exists()
