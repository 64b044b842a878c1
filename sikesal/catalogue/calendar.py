"""Working-day arithmetic in WIB.

A working day is a weekday that is neither an Indonesian national holiday (from the `holidays`
package) nor a row of NonWorkingDay (cuti bersama and local days, decreed each year).

Deadline convention: "N working days after an instant" ends at the close (23:59:59 WIB) of the N-th
working day after the day the instant falls on. The day of receipt never counts and a report filed
at the weekend starts counting on Monday: whole days, receipt day excluded, as agencies read SP4N
deadlines.
"""

import datetime as dt
import threading
import time
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

WIB = ZoneInfo("Asia/Jakarta")
END_OF_DAY = dt.time(23, 59, 59)

# Per-process cache of the editable days; cleared by a signal when a row changes in this process and
# refreshed every minute so other processes (web, worker) pick up an operator's edit soon.
_CACHE_SECONDS = 60
_lock = threading.Lock()
_cache = {"loaded_at": 0.0, "days": frozenset()}


def clear_cache():
    with _lock:
        _cache["loaded_at"] = 0.0


def _extra_non_working_days():
    now = time.monotonic()
    with _lock:
        if now - _cache["loaded_at"] > _CACHE_SECONDS:
            from sikesal.catalogue.models import NonWorkingDay

            _cache["days"] = frozenset(NonWorkingDay.objects.values_list("date", flat=True))
            _cache["loaded_at"] = now
        return _cache["days"]


@lru_cache(maxsize=64)
def _national_holidays(year):
    return frozenset(holidays.country_holidays("ID", years=[year]).keys())


def preload(years):
    """Load the national holidays of `years` now: the `holidays` package imports every country's module on
    its first use, a tenth of a second (core/warmup.py)."""
    for year in years:
        _national_holidays(year)


def extra():
    """The editable non-working days now in force (a frozenset of dates): part of a memo's key."""
    return _extra_non_working_days()


def is_working_day(day, extra=None):
    if day.weekday() >= 5:
        return False
    if day in _national_holidays(day.year):
        return False
    extra = _extra_non_working_days() if extra is None else extra
    return day not in extra


def wib_date(instant):
    return instant.astimezone(WIB).date()


@lru_cache(maxsize=8192)  # by day: the set-based sweep asks for the same few hundred days again and again
def end_of_day_utc(day):
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=WIB).astimezone(dt.UTC)


def add_working_days(instant, n):
    """The deadline N working days after `instant` (aware datetime): end of that day, in UTC."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = wib_date(instant)
    if n == 0:
        return end_of_day_utc(day)
    return end_of_day_utc(_working_day_from(day, n, _extra_non_working_days(), 1))


def subtract_working_days(instant, n):
    """End of the N-th working day before the day of `instant` (for reminders ahead of a deadline)."""
    return end_of_day_utc(_working_day_from(wib_date(instant), n, _extra_non_working_days(), -1))


def working_days_between(start, end):
    """Working days after the day of `start` up to and including the day of `end` (0 if end <= start).

    The inverse of add_working_days: working_days_between(t, add_working_days(t, n)) == n.
    """
    first, last = wib_date(start), wib_date(end)
    if last <= first:
        return 0
    return _working_days_between(first, last, _extra_non_working_days())


# The day arithmetic, memoised by day and by the set of editable non-working days (a new set is a new
# key, so an edited calendar is never served from the old one). The set-based sweep asks for the same
# few hundred days hundreds of thousands of times (issue #19): a walk over two years for each was most
# of its time.
@lru_cache(maxsize=8192)
def _working_day_from(day, n, extra, step):
    """The N-th working day after `day` (step 1) or before it (step -1)."""
    counted = 0
    while counted < n:
        day += dt.timedelta(days=step)
        if is_working_day(day, extra):
            counted += 1
    return day


@lru_cache(maxsize=8192)
def _working_days_between(first, last, extra):
    count = 0
    day = first
    while day < last:
        day += dt.timedelta(days=1)
        if is_working_day(day, extra):
            count += 1
    return count


def add_days(instant, days):
    """Calendar-day deadlines (pending info, final resolution): end of the day `days` later, WIB."""
    return end_of_day_utc(wib_date(instant) + dt.timedelta(days=days))


def deadline_rule(name):
    return settings.SIKESAL_DEADLINES[name]
