"""Working-day arithmetic across weekends, national holidays and an editable cuti bersama row."""

import datetime as dt

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sikesal.catalogue import calendar
from sikesal.catalogue.models import NonWorkingDay

WIB = calendar.WIB
CUTI = dt.date(2026, 12, 24)  # cuti bersama Natal 2026 (decreed yearly, so a table row)


@pytest.fixture
def cuti(db):
    NonWorkingDay.objects.create(date=CUTI, kind="cuti_bersama", description="Cuti bersama Natal")
    yield
    calendar.clear_cache()


def wib(*args):
    return dt.datetime(*args, tzinfo=WIB)


def oracle_is_working(day):
    """Independent of the code under test: weekday, not a holiday per the package, not the cuti row."""
    return day.weekday() < 5 and day not in holidays.country_holidays("ID", years=[day.year]) and day != CUTI


def test_weekend_is_skipped(cuti):
    # Friday 13 Nov 2026 + 1 working day = Monday 16 Nov, end of day WIB.
    assert calendar.add_working_days(wib(2026, 11, 13, 10), 1) == wib(2026, 11, 16, 23, 59, 59)


def test_national_holiday_is_skipped(cuti):
    # Friday 14 Aug 2026 + 1: Monday 17 Aug is Independence Day, so Tuesday 18 Aug.
    assert calendar.add_working_days(wib(2026, 8, 14, 10), 1) == wib(2026, 8, 18, 23, 59, 59)


def test_cuti_bersama_row_is_skipped_and_can_be_edited(cuti):
    # Wed 23 Dec + 1: 24 Dec cuti bersama, 25 Dec Christmas, weekend; Monday 28 Dec.
    assert calendar.add_working_days(wib(2026, 12, 23, 10), 1) == wib(2026, 12, 28, 23, 59, 59)
    NonWorkingDay.objects.filter(date=CUTI).delete()  # the decree is revoked: the day counts again
    assert calendar.add_working_days(wib(2026, 12, 23, 10), 1) == wib(2026, 12, 24, 23, 59, 59)


def test_report_at_the_weekend_counts_from_monday(cuti):
    saturday, sunday = wib(2026, 11, 14, 8), wib(2026, 11, 15, 22)
    assert (
        calendar.add_working_days(saturday, 3) == calendar.add_working_days(sunday, 3) == wib(2026, 11, 18, 23, 59, 59)
    )


def test_utc_instant_is_read_in_wib(cuti):
    # 20:00 UTC on Sunday is 03:00 WIB on Monday: Monday is the day of receipt.
    sunday_utc = dt.datetime(2026, 11, 15, 20, 0, tzinfo=dt.UTC)
    assert calendar.add_working_days(sunday_utc, 1) == wib(2026, 11, 17, 23, 59, 59)


def test_calendar_days_deadline():
    assert calendar.add_days(wib(2026, 11, 2, 9), 30) == wib(2026, 12, 2, 23, 59, 59)


instants = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 1), timezones=st.just(dt.UTC)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=instants, n=st.integers(min_value=0, max_value=70))
def test_add_working_days_properties(cuti, start, n):
    due = calendar.add_working_days(start, n)
    day = due.astimezone(WIB).date()
    assert due.astimezone(WIB).time() == dt.time(23, 59, 59)
    # exactly n working days after the day of receipt, counted by the independent oracle
    first = start.astimezone(WIB).date()
    counted = sum(1 for i in range(1, (day - first).days + 1) if oracle_is_working(first + dt.timedelta(days=i)))
    assert counted == n
    if n > 0:
        assert oracle_is_working(day)
    assert calendar.working_days_between(start, due) == n


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=instants, b=instants)
def test_working_days_between_matches_oracle(cuti, a, b):
    first, last = a.astimezone(WIB).date(), b.astimezone(WIB).date()
    expected = sum(1 for i in range(1, (last - first).days + 1) if oracle_is_working(first + dt.timedelta(days=i)))
    assert calendar.working_days_between(a, b) == max(0, expected)
