"""Full-text search over title and body: SQLite FTS5 (kept in step by triggers) or a PostgreSQL GIN index."""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE complaint_fts USING fts5(title, body, content='complaints_complaint', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO complaint_fts(rowid, title, body) SELECT id, title, body FROM complaints_complaint",
    """CREATE TRIGGER complaint_fts_ai AFTER INSERT ON complaints_complaint BEGIN
         INSERT INTO complaint_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
    """CREATE TRIGGER complaint_fts_ad AFTER DELETE ON complaints_complaint BEGIN
         INSERT INTO complaint_fts(complaint_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END""",
    """CREATE TRIGGER complaint_fts_au AFTER UPDATE OF title, body ON complaints_complaint BEGIN
         INSERT INTO complaint_fts(complaint_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
         INSERT INTO complaint_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS complaint_fts_ai",
    "DROP TRIGGER IF EXISTS complaint_fts_ad",
    "DROP TRIGGER IF EXISTS complaint_fts_au",
    "DROP TABLE IF EXISTS complaint_fts",
]
# The expression must match sikesal.complaints.search exactly for PostgreSQL to use the index.
PG_UP = [
    "CREATE INDEX complaint_fts_idx ON complaints_complaint USING GIN "
    "(to_tsvector('indonesian'::regconfig, coalesce(title, '') || ' ' || coalesce(body, '')))"
]
PG_DOWN = ["DROP INDEX IF EXISTS complaint_fts_idx"]


def forwards(apps, schema_editor):
    statements = {"sqlite": SQLITE_UP, "postgresql": PG_UP}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = {"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
