"""Full-text search over complaints' title and body, with each database's own engine."""

import re

from django.db import connection

WORD = re.compile(r"\w+", re.UNICODE)

_SQLITE_TRIGGERS = {
    "complaint_fts_ai": """CREATE TRIGGER complaint_fts_ai AFTER INSERT ON complaints_complaint BEGIN
         INSERT INTO complaint_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
    "complaint_fts_ad": """CREATE TRIGGER complaint_fts_ad AFTER DELETE ON complaints_complaint BEGIN
         INSERT INTO complaint_fts(complaint_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END""",
    "complaint_fts_au": """CREATE TRIGGER complaint_fts_au AFTER UPDATE OF title, body ON complaints_complaint BEGIN
         INSERT INTO complaint_fts(complaint_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
         INSERT INTO complaint_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
}


def ensure_sqlite_index(using="default", **kwargs):
    """Keep the FTS5 triggers in place after migrations.

    SQLite cannot alter a table in place, so Django rebuilds complaints_complaint for many schema
    changes, and the rebuild drops its triggers: recreate them and rebuild the index when that happened.
    """
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'complaint_fts'")
        if cursor.fetchone() is None:
            return  # the migration that creates it has not run yet
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'complaint_fts_%'")
        present = {row[0] for row in cursor.fetchall()}
        missing = [sql for name, sql in _SQLITE_TRIGGERS.items() if name not in present]
        for sql in missing:
            cursor.execute(sql)
        if missing:
            cursor.execute("INSERT INTO complaint_fts(complaint_fts) VALUES ('rebuild')")


def search(queryset, text):
    """Filter `queryset` to complaints matching every word of `text` (prefixes allowed on SQLite)."""
    words = WORD.findall(text or "")[:12]
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        return queryset.extra(
            where=[
                "to_tsvector('indonesian'::regconfig, coalesce(complaints_complaint.title, '') || ' ' || "
                "coalesce(complaints_complaint.body, '')) @@ plainto_tsquery('indonesian'::regconfig, %s)"
            ],
            params=[" ".join(words)],
        )
    if connection.vendor == "sqlite":
        # Each word quoted, so FTS5 operators typed by a user are just words.
        match = " ".join(f'"{w}"*' for w in words)
        return queryset.extra(
            where=["complaints_complaint.id IN (SELECT rowid FROM complaint_fts WHERE complaint_fts MATCH %s)"],
            params=[match],
        )
    for w in words:
        queryset = queryset.filter(title__icontains=w) | queryset.filter(body__icontains=w)
    return queryset
