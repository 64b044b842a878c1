"""Time in the simulator: integer microseconds since the epoch, shown in WIB (UTC+07:00)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Clock:
    """Hands out strictly increasing timestamps, so `(updated_at, id)` orders every change."""

    def __init__(self, floor_us: int = 0) -> None:
        self._lock = threading.Lock()
        self._last = floor_us

    def now_us(self) -> int:
        with self._lock:
            now = time.time_ns() // 1000
            self._last = max(now, self._last + 1)
            return self._last


def to_datetime(us: int) -> datetime:
    return (EPOCH + timedelta(microseconds=us)).astimezone(WIB)


def iso(us: int | None) -> str | None:
    """ISO 8601 with microseconds and the WIB offset, e.g. 2025-03-01T08:15:00.123456+07:00."""
    if us is None:
        return None
    return to_datetime(us).isoformat(timespec="microseconds")


def lapor_datetime(us: int | None) -> str | None:
    """LAPOR!'s follow-up format `d-m-Y H:i:s`, local time (WIB)."""
    if us is None:
        return None
    return to_datetime(us).strftime("%d-%m-%Y %H:%M:%S")


def parse_iso(text: str) -> int:
    """Parse an ISO 8601 timestamp to microseconds; a time without offset is taken as WIB."""
    value = text.strip()
    if not value:
        raise ValueError("empty timestamp")
    # A '+' in a query string often arrives decoded as a space: "2025-01-01T10:00:00 07:00".
    if len(value) > 19 and value[-6] == " " and value[-3] == ":":
        value = value[:-6] + "+" + value[-5:]
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=WIB)
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_since(text: str) -> int:
    """`updated_since` of the pull list: ISO 8601 or LAPOR!'s `d-m-Y H:i:s` (WIB), truncated to the
    second (the dates the API shows have second precision); microseconds since the epoch."""
    value = text.strip()
    try:
        dt = datetime.strptime(value, "%d-%m-%Y %H:%M:%S").replace(tzinfo=WIB)
    except ValueError:
        us = parse_iso(value)
    else:
        delta = dt - EPOCH
        us = (delta.days * 86_400 + delta.seconds) * 1_000_000
    return us - us % 1_000_000


def parse_date(text: str) -> str:
    """Validate a `Y-m-d` date and return it unchanged."""
    datetime.strptime(text, "%Y-%m-%d")
    return text
