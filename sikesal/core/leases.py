"""Leases: rows that one worker at a time works on, taken back when that worker dies.

A worker claims rows by setting their lease field to a time in the future; a row is free when the field is
empty or in the past, so a worker killed mid-work holds nothing once its lease runs out, and the next one
takes the rows again (whatever it runs must be idempotent for that reason). Used by the side-effect queue
(complaints/effect_queue.py), the SP4N-LAPOR! outbox (outbound.py) and the pull's one-at-a-time lease
(lapor/pull.py).

On PostgreSQL the candidates are read with SELECT ... FOR UPDATE SKIP LOCKED, so several workers claim
different rows at once; on SQLite the transaction's write lock serialises the claims. The update checks the
lease again either way, so a row is never held by two workers.
"""

from django.db import connection, transaction
from django.db.models import Q


def free(field, now):
    """The rows whose lease `field` is not held at `now`."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now})


def claim(rows, field, now, until, limit):
    """Lease up to `limit` of `rows` (a queryset, in the order to take them) whose `field` is free at `now`,
    until `until`. Returns the primary keys of the rows this call leased, in that order."""
    with transaction.atomic():
        candidates = rows.filter(free(field, now))
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        pks = list(candidates.values_list("pk", flat=True)[:limit])
        if not pks:
            return []
        taken = rows.model._default_manager.filter(free(field, now), pk__in=pks).update(**{field: until})
        if taken < len(pks):  # another worker leased some between the read and the update
            mine = set(rows.model._default_manager.filter(pk__in=pks, **{field: until}).values_list("pk", flat=True))
            pks = [pk for pk in pks if pk in mine]
    return pks


def renew(rows, field, until):
    """Keep holding `rows` (already leased by the caller) until `until`."""
    rows.update(**{field: until})
