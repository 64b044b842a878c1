"""The worker's side of complaints/effects.py: events' side effects taken from the queue in batches.

Each change writes one PendingEffect row in its own transaction (events.save_event). A worker claims up to
BATCH due rows at once (SKIP LOCKED on PostgreSQL, so several workers share the queue without doing the
same rows; SQLite's write lock serialises the claim), runs every handler over the whole batch (a handler
with a counterpart in effects.BATCHED takes the list at once: one matrix product for the routing
suggestions, one insert for the notifications), and deletes the rows in one statement. A claim is a lease
(core/leases.py): the rows of a worker killed mid-batch go again when it runs out (handlers are
idempotent). A handler that fails is run again later for the events it failed on, alone, with backoff; its
neighbours are not repeated.
"""

import datetime as dt
import logging
import time

from django.utils import timezone

from sikesal.complaints import effects, rawsql
from sikesal.complaints.models import Event, PendingEffect
from sikesal.core import leases

log = logging.getLogger("sikesal.effects")

BATCH = 500
# Under steady load the worker lets a batch gather: a batch costs a dozen queries and two write
# transactions whatever its size, so claiming the few rows that arrived while the last batch ran would
# spend more on the claim than on the effects (and hold SQLite's write lock more often). A batch smaller
# than GATHER_BELOW ends the drain, and the worker waits GATHER_SECONDS before the next claim: a receipt
# leaves at most that much later.
GATHER_BELOW = 100
GATHER_SECONDS = 0.25
LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
# A handler's rows for a whole batch are written WRITE_CHUNK at a time, a transaction each. On SQLite a
# write holds the database's one write lock, and every citizen filing a report waits behind it; the worker
# shares the cores with the web processes, so one insert of a batch's 500 suggestions (17 ms of CPU)
# held the lock for 110-160 ms under load, and made intake's p99 (issue #19).
WRITE_CHUNK = 50


def handler_name(handler):
    return f"{handler.__module__}.{handler.__qualname__}"


def enqueue(event):
    """Called inside the change's transaction: the effects exist exactly when the change does."""
    pending(event).save(force_insert=True)


def pending(event):
    """The unsaved queue row of `event`'s side effects (every handler, due now)."""
    return PendingEffect(event=event, run_after=timezone.now())


def handler_names(skip=()):
    """The handlers' names (handler_name) but those in `skip`, read from effects.HANDLERS without importing
    the handlers: the routing model's handler loads scikit-learn, seconds in a sweep that only queues rows.
    A handler's path in HANDLERS is its handler_name (tests/complaints/test_side_effects.py checks it)."""
    return [name for name in effects.HANDLERS if name not in skip]


def enqueue_many(events, skip=()):
    """`enqueue` for many saved events at once (the bulk submission): one insert. Handlers named in `skip`
    do not run for them."""
    now = timezone.now()
    only = handler_names(skip) if skip else []
    PendingEffect.objects.bulk_create([PendingEffect(event=event, handlers=only, run_after=now) for event in events])


def enqueue_ids(event_ids, skip=()):
    """`enqueue_many` for the ids of events just inserted (the set-based sweep, which tells the OPDs in one
    digest instead of the handlers in `skip`): the same rows, written as plain multi-row INSERTs."""
    event, handlers, attempt, run_after = (
        PendingEffect._meta.get_field(name) for name in ("event", "handlers", "attempt", "run_after")
    )
    same = (  # every row's values but its event, as the database takes them
        rawsql.prepare(handlers, handler_names(skip) if skip else []),
        rawsql.prepare(attempt, attempt.default),
        rawsql.prepare(run_after, timezone.now()),
    )
    rawsql.insert(PendingEffect, [event, handlers, attempt, run_after], [(pk, *same) for pk in event_ids])


def bulk_create(model, objs, **options):
    """`model.objects.bulk_create(objs, **options)` in short transactions of WRITE_CHUNK rows (in the
    caller's transaction if there is one). For idempotent inserts only (`ignore_conflicts`): a worker
    killed half-way leaves some chunks written, and the batch's next run adds the rest."""
    for start in range(0, len(objs), WRITE_CHUNK):
        model.objects.bulk_create(objs[start : start + WRITE_CHUNK], **options)


def due():
    """The rows whose effects may run now and that no worker holds."""
    now = timezone.now()
    return PendingEffect.objects.filter(run_after__lte=now).filter(leases.free("leased_until", now))


def claim(limit=BATCH):
    now = timezone.now()
    ids = leases.claim(
        PendingEffect.objects.filter(run_after__lte=now).order_by("run_after", "id"),
        "leased_until",
        now,
        now + LEASE,
        limit,
    )
    rows = list(PendingEffect.objects.filter(id__in=ids).order_by("id"))
    events = Event.objects.select_related("complaint__service", "complaint__reporter").in_bulk(
        [r.event_id for r in rows]
    )
    for row in rows:
        row.event = events[row.event_id]
    return rows


def _run(handler, events):
    """Run one handler over events; returns the ids of the events it failed on."""
    batch = effects.batched(handler)
    if batch is not None and len(events) > 1:
        try:
            batch(events)
            return set()
        except Exception:  # find the culprit: one event's trouble must not fail the batch
            log.warning("handler %s failed on a batch of %s; running it per event", handler_name(handler), len(events))
    failed = set()
    for event in events:
        try:
            handler(event)
        except Exception:  # one handler's trouble (a mail server down) must not cost the others
            log.exception("event %s: handler %s failed", event.pk, handler_name(handler))
            failed.add(event.pk)
    return failed


def dispatch(rows):
    """Run the side effects of claimed rows; returns how many rows were done with."""
    failures = {row.pk: [] for row in rows}
    for handler in effects.handlers():  # in order (complaints/effects.py)
        name = handler_name(handler)
        mine = [row for row in rows if not row.handlers or name in row.handlers]
        if not mine:
            continue
        failed = _run(handler, [row.event for row in mine])
        for row in mine:
            if row.event_id in failed:
                failures[row.pk].append(name)
    done = [pk for pk, failed in failures.items() if not failed]
    now = timezone.now()
    for row in rows:
        failed = failures[row.pk]
        if not failed:
            continue
        if row.attempt >= MAX_ATTEMPTS:
            log.error("event %s: handlers %s failed %s times; given up", row.event_id, failed, row.attempt)
            done.append(row.pk)
            continue
        PendingEffect.objects.filter(pk=row.pk).update(
            handlers=failed,
            attempt=row.attempt + 1,
            run_after=now + dt.timedelta(minutes=2**row.attempt),
            leased_until=None,
        )
    PendingEffect.objects.filter(pk__in=done).delete()
    return len(rows)


def drain(max_seconds=None, limit=BATCH, gather_below=1):
    """Dispatch due batches until none is left (or `max_seconds` passed, or a batch was smaller than
    `gather_below`); returns how many rows ran."""
    started, total = time.monotonic(), 0
    while True:
        rows = claim(limit)
        if not rows:
            return total
        total += dispatch(rows)
        if len(rows) < gather_below:
            return total
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            return total


def backlog():
    """How many events wait for their side effects now, those in a batch being run included (the worker's
    lag, for the benchmark)."""
    return PendingEffect.objects.filter(run_after__lte=timezone.now()).count()
