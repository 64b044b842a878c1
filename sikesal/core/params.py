"""Query-string values read defensively: anything odd is "not given", never an exception.

Dates far from the present overflow when converted to UTC or passed to the database (year 1, year 9999,
year 99999), and ids past 64 bits overflow the database's integers; a public URL must answer those with the
ordinary page, not a 500.
"""

import datetime as dt

MIN_YEAR, MAX_YEAR = 2000, 2100  # reports, statistics and exports never need more
MAX_ID = 2**63 - 1


def year_month(value):
    """(year, month) from "YYYY-MM", or None."""
    try:
        year, month = (int(part) for part in str(value).split("-"))
    except (TypeError, ValueError):
        return None
    if MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12:
        return year, month
    return None


def date(value):
    """A date from "YYYY-MM-DD", or None."""
    try:
        parsed = dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return parsed if MIN_YEAR <= parsed.year <= MAX_YEAR else None


def object_id(value):
    """A database id (a positive integer that fits the column) from text, or None."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
