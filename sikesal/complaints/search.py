"""Full-text search over complaints' title and body, with each database's own engine."""

import re

from django.db import connection

WORD = re.compile(r"\w+", re.UNICODE)


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
