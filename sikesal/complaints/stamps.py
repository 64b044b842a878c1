"""What a page or answer kept in memory depends on (portal/page_cache.py, Open311's requests/{id}): a
report's identity, version and SP4N-LAPOR! number, read by its tracking number.

One indexed SELECT, written once: built through the ORM on every request it cost about 0.2 ms of Python,
most of what a kept answer costs to serve (bench/floor.py)."""

import functools

from django.db import connection

from sikesal.complaints.models import Complaint


@functools.cache
def _sql(vendor):
    meta, quote = Complaint._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("id", "version", "lapor_tracking_id"))
    where = quote(meta.get_field("tracking_number").column)
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {where} = %s"  # noqa: S608 (our names; the value is a parameter)


def stamp(tracking_number):
    """(pk, version, lapor_tracking_id) of the report with this number, or None."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor), [tracking_number])
        return cursor.fetchone()
