"""Plain multi-row INSERTs for the bulk paths (the set-based sweep, its side-effect rows): the values the
ORM would write, without a model instance or the query compiler per row (they were most of a sweep's
time at 100,000 reports). Names come from the model and quote_name only; every value is a parameter."""

from django.db import connection

# Rows per INSERT: under SQLite's and PostgreSQL's parameter limits for any of the tables written.
CHUNK = 500


def preparer(field):
    """The database value of a field, as get_db_prep_save gives it, with Django's per-value checks
    skipped for the plain types the bulk paths write (they were a third of a sweep batch's time)."""
    kind = field.get_internal_type()
    if kind in ("CharField", "TextField", "ForeignKey", "BigAutoField", "PositiveIntegerField"):
        return lambda value: value
    if kind == "DateTimeField":
        adapt = connection.ops.adapt_datetimefield_value
        return lambda value: None if value is None else adapt(value)
    if kind == "JSONField":
        adapt, encoder = connection.ops.adapt_json_value, field.encoder
        return lambda value: None if value is None else adapt(value, encoder)
    return lambda value: field.get_db_prep_save(value, connection)


def insert(model, fields, rows, returning=False):
    """INSERT `rows` (tuples of database values, in the order of `fields`) into `model`'s table. With
    `returning`, the new primary keys in the rows' order (RETURNING, as bulk_create reads them)."""
    meta = model._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    head = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "  # noqa: S608 - names from the model only
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" RETURNING {qn(meta.pk.column)}" if returning else ""
    size = max(1, min(CHUNK, 30000 // len(fields)))
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            cursor.execute(head + ", ".join([row] * len(chunk)) + tail, [v for r in chunk for v in r])
            if returning:
                ids.extend(pk for (pk,) in cursor.fetchall())
    return ids
