"""Plain INSERTs and versioned UPDATEs for the set-based sweep and its side-effect rows: the values the
ORM would write, without a model instance or the query compiler per row (they were most of a sweep's
time at 100,000 reports). Multi-row VALUES on SQLite; on PostgreSQL one statement over array parameters
(UNNEST), as Django's own bulk_create does there. Names come from the model and quote_name only; every
value is a parameter."""

import json
import operator
from contextlib import contextmanager
from functools import lru_cache

from django.db import connection

# Rows per INSERT: under SQLite's and PostgreSQL's parameter limits for any of the tables written.
CHUNK = 500


# Field types whose Python value is the database value (no adaptation on SQLite or PostgreSQL).
_AS_IS = frozenset({"CharField", "TextField", "ForeignKey", "BigAutoField", "PositiveIntegerField"})


def preparer(field):
    """The database value of a field, as get_db_prep_save gives it, with Django's per-value checks
    skipped for the plain types the bulk paths write (they were a third of a sweep batch's time): a
    function, or None for a value written as it is. Make one per batch: it may remember the values it
    prepared."""
    kind = field.get_internal_type()
    if kind in _AS_IS:
        return None
    if kind == "DateTimeField":
        # Memoised for the preparer's life (one batch): most instants written are the sweep's `now`.
        adapt = lru_cache(maxsize=None)(connection.ops.adapt_datetimefield_value)
        return lambda value: None if value is None else adapt(value)
    if kind == "JSONField":
        adapt, encoder = connection.ops.adapt_json_value, field.encoder
        if connection.vendor == "postgresql":  # JSON text, cast to jsonb by _arrays on the server
            return lambda value: None if value is None else json.dumps(value, cls=encoder)
        return lambda value: None if value is None else adapt(value, encoder)
    return lambda value: field.get_db_prep_save(value, connection)


def prepare(field, value):
    """One value, as `preparer` prepares it."""
    prep = preparer(field)
    return value if prep is None else prep(value)


def values_of(fields):
    """A function from an object to the database values of its `fields` (read by attname), for the many
    objects of one batch: only the values that need it are prepared."""
    names = [f.attname for f in fields]
    read = operator.attrgetter(*names) if len(names) > 1 else lambda obj: (getattr(obj, names[0]),)
    preps = [(i, p) for i, p in enumerate(map(preparer, fields)) if p is not None]

    def values(obj):
        row = list(read(obj))
        for i, prep in preps:
            row[i] = prep(row[i])
        return row

    return values


@contextmanager
def cursor():
    """A cursor for statements with many parameters. On PostgreSQL one with server-side binding: with
    Django's default (psycopg's ClientCursor) every value is quoted into the SQL text in Python, which
    was most of a sweep batch's time there; bound on the server, values travel apart, dumped in C. It is
    wrapped as Django wraps its own cursors (error translation, the query log the tests count)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as wrapped:
            yield wrapped
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = ServerBindingCursor(connection.connection)
    with connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw) as wrapped:
        yield wrapped


def _arrays(fields):
    """PostgreSQL: one array parameter per column, cast as Django's bulk_create casts them (its UNNEST
    insert): a short statement whatever the number of rows, planned once. The arrays travel in binary
    (%b): psycopg dumps them several times faster than as text (ten times for timestamps); JSON goes as
    text (preparer) and is cast to jsonb by the server."""
    return ", ".join(
        "(%b)::text[]::jsonb[]"
        if f.get_internal_type() == "JSONField"
        else f"(%b)::{f.db_type(connection).split('(')[0]}[]"
        for f in fields
    )


def _columns(rows):
    return [list(column) for column in zip(*rows, strict=True)]


def _chunks(rows, fields):
    size = max(1, min(CHUNK, 30000 // len(fields)))
    if connection.vendor == "postgresql":
        size = 10 * CHUNK  # the parameters are arrays: their number does not grow with the rows
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert(model, fields, rows, returning=False):
    """INSERT `rows` (tuples of database values, in the order of `fields`) into `model`'s table. With
    `returning`, the new primary keys in the rows' order (RETURNING, as bulk_create reads them)."""
    meta = model._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    tail = f" RETURNING {qn(meta.pk.column)}" if returning else ""
    head = f"INSERT INTO {qn(meta.db_table)} ({columns}) "  # noqa: S608 - names from the model only
    unnest = f"SELECT * FROM UNNEST({_arrays(fields)})" if connection.vendor == "postgresql" else None  # noqa: S608
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    ids = []
    with cursor() as c:
        for chunk in _chunks(rows, fields):
            if unnest:
                c.execute(head + unnest + tail, _columns(chunk))
            else:
                c.execute(head + "VALUES " + ", ".join([row] * len(chunk)) + tail, [v for r in chunk for v in r])
            if returning:
                ids.extend(pk for (pk,) in c.fetchall())
    return ids


def update_unless_moved(model, fields, rows, version):
    """UPDATE rows whose `version` field still holds what was read: `rows` are tuples of the new values
    of `fields` followed by the primary key and the version read. Returns how many rows were updated (a
    row that moved on since it was read is left alone); -1 if the database does not say."""
    meta = model._meta
    qn = connection.ops.quote_name
    table, pk, ver = qn(meta.db_table), qn(meta.pk.column), qn(version.column)
    with cursor() as c:
        if connection.vendor == "postgresql":  # one statement over arrays rather than one per row
            keyed = [*fields, meta.pk, version]
            names = [f"v{i}" for i in range(len(keyed))]
            sets = ", ".join(f"{qn(f.column)} = v.{name}" for f, name in zip(fields, names[: len(fields)], strict=True))
            sql = (
                f"UPDATE {table} SET {sets} FROM UNNEST({_arrays(keyed)}) AS v({', '.join(names)}) "  # noqa: S608
                f"WHERE {table}.{pk} = v.{names[-2]} AND {table}.{ver} = v.{names[-1]}"
            )
            done = 0
            for chunk in _chunks(rows, keyed):
                c.execute(sql, _columns(chunk))
                done += c.rowcount
            return done
        sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        c.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s AND {ver} = %s", rows)  # noqa: S608
        return c.rowcount
