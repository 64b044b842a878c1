"""Query-string values read defensively: anything odd is "not given", never an exception.

Dates far from the present overflow when converted to UTC or passed to the database (year 1, year 9999,
year 99999), and ids past 64 bits overflow the database's integers; a public URL must answer those with the
ordinary page, not a 500.
"""

import datetime as dt
import json

from django.utils import timezone

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


def moment(value):
    """An aware datetime from a W3C/ISO 8601 datetime (with or without an offset; without one it is local
    time), or None: also for a year outside MIN_YEAR..MAX_YEAR, which would overflow on the way to UTC
    (year 1 at +07:00, year 9999 at -12:00) or in the database."""
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        return None
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


def json_body(raw):
    """A JSON request body, parsed; ValueError for what is not JSON text, including a lone surrogate
    ("\\ud800"): JSON's escapes can spell one, no UTF-8 text holds one, and it fails later (a 500) wherever the
    text is encoded."""
    data = json.loads(raw)
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError as exc:
        raise ValueError("a lone surrogate in the JSON text") from exc
    return data
