"""A model instance's INSERT compiled by Django before the transaction that runs it.

On SQLite a transaction holds the database's one write lock from BEGIN IMMEDIATE to COMMIT, and every
report filed meanwhile waits for it. Saving a report, its first event and its pending side effects
through `Model.save` spent most of that time compiling SQL and preparing values in Python (issue #19:
about 0.6 ms of the 1.1 ms the lock was held per report). Compiled first, the transaction only runs the
statements.

The SQL and values are Django's own (InsertQuery and its compiler, `Field.pre_save` and
`get_db_prep_save`), as `Model.save(force_insert=True)` would write them; only the foreign key to a row
inserted in the same transaction is filled in when the statement runs (`links`). The statement is compiled
once per model and kept: a row with an expression for a value (F(), Now()) is compiled on its own.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import sql

_compiled = {}  # (model, database alias) -> the INSERT statement of one row, once compiled


def _expressions(obj, fields):
    """Does a field hold an expression (F(), Now()...)? Its SQL is then part of the statement."""
    return any(hasattr(obj.__dict__.get(f.attname), "resolve_expression") for f in fields)


class PreparedInsert:
    def __init__(self, obj, using=DEFAULT_DB_ALIAS, **links):
        """`links`: foreign key name -> the instance it points at, inserted earlier in the same transaction
        (its primary key is read when this statement runs)."""
        meta = obj._meta
        self.obj, self.using = obj, using
        fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
        statement = _compiled.get((type(obj), using))
        if statement is not None and not _expressions(obj, fields):
            # The statement is the same for every row of the model: only the values are prepared, as the
            # compiler prepares them (pre_save, then get_db_prep_save). Compiling it cost a webhook's
            # insert more than the insert itself.
            self.sql = statement
            self.params = [f.get_db_prep_save(f.pre_save(obj, True), connections[using]) for f in fields]
        else:
            query = sql.InsertQuery(type(obj))
            query.insert_values(fields, [obj])
            compiler = query.get_compiler(using=using)
            compiler.returning_fields = meta.db_returning_fields
            plain = not _expressions(obj, fields) and not any(hasattr(f, "get_placeholder") for f in fields)
            [(self.sql, params)] = compiler.as_sql()  # also runs pre_save: auto_now fields are set on obj
            self.params = list(params)
            if len(self.params) != len(fields):  # one placeholder per field, as in a one-row VALUES (...)
                raise ValueError(f"{meta.label}: {len(self.params)} values for {len(fields)} fields")
            if plain:  # "%s" for every value: the statement holds for any row of the model
                _compiled[(type(obj), using)] = self.sql
        position = {f.name: i for i, f in enumerate(fields)}
        self.links = [(position[name], name, target) for name, target in links.items()]
        self.returning = meta.db_returning_fields

    def run(self):
        """Insert the row (in the caller's transaction) and set the instance's primary key, as save does."""
        for i, name, target in self.links:
            self.params[i] = target.pk
            setattr(self.obj, name, target)
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            if self.returning:
                values = connection.ops.fetch_returned_insert_columns(cursor, [])
                for value, field in zip(values, self.returning, strict=True):
                    setattr(self.obj, field.attname, value)
        self.obj._state.adding = False
        self.obj._state.db = self.using
        return self.obj
