"""The deadline sweep: applies automatic closes/archives and records overdue deadlines.

It reads only complaints whose `next_sweep_at` has passed (an index range, not a scan of open
reports). Running it twice, or on several workers at once, changes nothing more.

Two paths apply the same rules (the lifecycle's TRANSITIONS, policy and action handlers, through
`lifecycle.apply`):

- one report at a time through the lifecycle's door, each change in its own transaction, when a few
  reports are due (every 5 minutes on an ordinary day);
- set-based, when more than SIKESAL_SWEEP_BULK_OVER are due at once (after a long holiday or an
  outage, issue #19): a batch of due rows is claimed in one transaction (on PostgreSQL with
  SELECT ... FOR UPDATE SKIP LOCKED, so several workers share the work; on SQLite the write lock
  serialises them), each row's steps are applied in memory by the same code the door runs, and the
  batch is written together: one UPDATE statement run for every row with its version in the WHERE (a
  row that moved on is untouched and the batch is retried one report at a time), the events with one
  INSERT, the recorders' rows (the SP4N-LAPOR! outbox) together, and one dispatch task per batch
  instead of one per event. The escalation rungs of a bulk run reach each OPD's people as one digest
  per run (backoffice/ladder.send_rung_digests) instead of one e-mail per rung and report.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from sikesal.complaints import effect_queue, effects, lifecycle
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.intake import without_controls
from sikesal.complaints.models import Complaint, Event
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import Status

log = logging.getLogger("sikesal.sweep")

# Deadlines whose passing ends the report instead of merely being recorded as overdue.
AUTOMATIC = {
    ("reporter_due_at", Status.FOLLOWED_UP): "close_system",
    ("info_due_at", Status.PENDING_INFO): "archive_system",
}

ACTOR_LABEL = "Penjadwal tenggat"


@dataclass
class SweepResult:
    examined: int = 0
    closed: int = 0
    archived: int = 0
    overdue_marked: int = 0
    bulk: bool = False  # the set-based path ran


def sweep(now=None, batch_size=500, bulk_over=None):
    """Sweep every report due at `now`: one at a time when at most `bulk_over` are due (default
    settings.SIKESAL_SWEEP_BULK_OVER), set-based otherwise. bulk_over=-1 always takes the set-based
    path; a very large bulk_over never does."""
    now = now or timezone.now()
    bulk_over = settings.SIKESAL_SWEEP_BULK_OVER if bulk_over is None else bulk_over
    due = Complaint.objects.filter(next_sweep_at__lte=now)
    if bulk_over < 0 or due[: bulk_over + 1].count() > bulk_over:
        return sweep_bulk(now, batch_size=settings.SIKESAL_SWEEP_BULK_BATCH)
    return sweep_each(now, batch_size)


def sweep_each(now=None, batch_size=500):
    """The one-report path: every change through lifecycle.transition, in its own transaction."""
    now = now or timezone.now()
    actor = Actor.system(ACTOR_LABEL)
    result = SweepResult()
    last_id = 0
    while True:
        ids = list(
            Complaint.objects.filter(next_sweep_at__lte=now, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return result
        last_id = ids[-1]
        for pk in ids:
            result.examined += 1
            _sweep_one(pk, now, actor, result)


def _due_steps(complaint, now):
    """The steps due on one report, in the order the sweep takes them: [(action, data)]. An automatic
    close or archive ends the list (the report is no longer open)."""
    active = lifecycle.active_deadlines(complaint)
    steps = []
    for (name, stage), point in sorted(lifecycle.ladder_points(complaint).items(), key=lambda item: item[1]):
        if point > now:
            continue
        action = AUTOMATIC.get((name, complaint.status)) if stage == "overdue" else None
        if action:
            steps.append((action, {}))
            return steps
        if lifecycle.mark_key(name, active[name], stage) not in complaint.overdue_marks:
            steps.append(("mark_overdue", {"deadline": name, "stage": stage}))
    return steps


def _count(result, action):
    if action == "close_system":
        result.closed += 1
    elif action == "archive_system":
        result.archived += 1
    else:
        result.overdue_marked += 1


def _sweep_one(pk, now, actor, result):
    complaint = Complaint.objects.filter(pk=pk).first()
    if complaint is not None:
        _take_due_steps(complaint, now, actor, result, read_again=True)


def _take_due_steps(complaint, now, actor, result, read_again):
    for action, data in _due_steps(complaint, now):
        try:
            lifecycle.transition(complaint, action, actor, now=now, **data)
            _count(result, action)
        except LifecycleError as exc:
            # Another worker got there first, or the report moved on: what is due is read again, once.
            log.debug("sweep skipped %s %s %s: %s", complaint.tracking_number, action, data, exc.code)
            if read_again:
                complaint.refresh_from_db()
                _take_due_steps(complaint, now, actor, result, read_again=False)
            return


# --- The set-based path ---------------------------------------------------------------------------------

# What a claimed row is read with: every field the sweep's actions, the deadline functions and the
# recorders read. A field left out would be read again row by row (correct, but slow): the test suite
# checks that a batch costs a fixed number of queries.
_READ = (
    "id",
    "tracking_number",
    "version",
    "status",
    "status_changed_at",
    "closed_at",
    "first_response_at",
    "verify_due_at",
    "info_due_at",
    "followup_due_at",
    "reporter_due_at",
    "final_due_at",
    "target_due_at",
    "due_at",
    "next_sweep_at",
    "overdue_marks",
    "updated_at",
    "channel",
    "institution_id",
)
_WRITABLE = frozenset(_READ) - {"id", "tracking_number", "version", "channel", "institution_id"}


class _Moved(Exception):
    """A claimed row changed under the batch (it cannot on PostgreSQL or IMMEDIATE SQLite)."""


def sweep_bulk(now=None, batch_size=1000):
    """The set-based path: batches of due rows claimed, changed and recorded together."""
    now = now or timezone.now()
    actor = Actor.system(ACTOR_LABEL)
    result = SweepResult(bulk=True)
    last_id = 0
    rungs = False
    try:
        while True:
            try:
                with transaction.atomic():
                    claimed, later, rung = _bulk_batch(now, actor, last_id, batch_size, result)
            except _Moved as exc:
                log.warning("bulk sweep: %s; the batch goes one report at a time", exc)
                claimed, later, rung = exc.args[1], exc.args[1], False
                result.examined += len(later)
            if not claimed:
                return result
            last_id = claimed[-1]
            rungs = rungs or rung
            for pk in later:  # a row the set-based step could not take: the door decides
                _sweep_one(pk, now, actor, result)
    finally:
        if rungs:  # also after a failed batch: the committed ones have been marked
            from sikesal.backoffice.tasks import rung_digests

            rung_digests.enqueue(now.isoformat())


def _bulk_batch(now, actor, last_id, batch_size, result):
    """One batch in the caller's transaction. Returns (claimed ids, ids left to the one-report path,
    whether a ladder rung was marked)."""
    rows = list(
        Complaint.objects.filter(next_sweep_at__lte=now, pk__gt=last_id)
        .select_for_update(skip_locked=True, of=("self",))  # PostgreSQL; a no-op on SQLite
        .order_by("pk")
        .only(*_READ)[:batch_size]
    )
    if not rows:
        return [], [], False
    claimed = [c.pk for c in rows]
    later, events, changed, counts = [], [], [], SweepResult(examined=len(rows))
    for c in rows:
        before = {name: getattr(c, name) for name in _WRITABLE}
        deferred = c.get_deferred_fields()
        steps = _due_steps(c, now)
        if not steps:
            continue
        mine = []
        try:
            for action, data in steps:
                from_status, change = lifecycle.apply(
                    c, action, lifecycle.TRANSITIONS[action], actor, now, without_controls(data)
                )
                mine.append(
                    lifecycle.new_event(
                        c, action, actor, now, from_status, change.visibility, change.message, change.payload
                    )
                )
        except LifecycleError as exc:
            log.debug("bulk sweep left %s to the door: %s", c.tracking_number, exc.code)
            later.append(c.pk)
            continue
        if c.get_deferred_fields() != deferred:  # a rule read or wrote a field not in _READ
            log.error("bulk sweep: %s needs fields beyond _READ; left to the door", c.tracking_number)
            later.append(c.pk)
            continue
        for event in mine:
            _count(counts, event.action)
        fields = {name for name in _WRITABLE if getattr(c, name) != before[name]}
        changed.append((c, c.version, fields))
        c.version += len(mine)
        events.extend(mine)
    if changed:
        try:
            _write(changed)
        except _Moved as exc:
            raise _Moved(exc.args[0], claimed) from None  # the whole batch is rolled back
    if events:
        _insert(events)
        effect_queue.enqueue_many(events, skip=effects.DIGESTED)
        effects.record_many(events)
    result.examined += counts.examined
    result.closed += counts.closed
    result.archived += counts.archived
    result.overdue_marked += counts.overdue_marked
    rung = any(e.action == "mark_overdue" and e.payload["deadline"] in lifecycle.LADDER_DEADLINES for e in events)
    return claimed, later, rung


def _write(changed):
    """One UPDATE statement, run for each changed row with its own values; the version read is in the
    WHERE, so a row that moved on since it was read is left alone (and the batch rolled back)."""
    names = sorted(set().union(*(fields for _, _, fields in changed)))
    meta = Complaint._meta
    columns = [meta.get_field(name) for name in names]
    qn = connection.ops.quote_name
    # Names from the model and quote_name only; every value is a parameter.
    sql = "UPDATE {} SET {}, {} = %s WHERE {} = %s AND {} = %s".format(  # noqa: S608
        qn(meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in columns),
        qn("version"),
        qn("id"),
        qn("version"),
    )
    prep = [_preparer(f) for f in columns]
    params = [
        [*(p(getattr(c, f.attname)) for p, f in zip(prep, columns, strict=True)), c.version, c.pk, old]
        for c, old, _ in changed
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        done = cursor.rowcount
    if done not in (-1, len(changed)):
        raise _Moved(f"{len(changed) - done} of {len(changed)} rows changed meanwhile")


def _preparer(field):
    """The database value of a field, as get_db_prep_save gives it, with Django's per-value checks
    skipped for the plain types the sweep writes (they were a third of a batch's time)."""
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


def _insert(events):
    """Event.objects.bulk_create without its per-value machinery: one multi-row INSERT per chunk, the
    ids read back with RETURNING (as bulk_create does on PostgreSQL and SQLite)."""
    meta = Event._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    prep = [_preparer(f) for f in fields]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    head = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "  # noqa: S608 - names from the model only
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, min(500, 30000 // len(fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(events), size):
            chunk = events[start : start + size]
            params = [p(getattr(e, f.attname)) for e in chunk for p, f in zip(prep, fields, strict=True)]
            cursor.execute(head + ", ".join([row] * len(chunk)) + f" RETURNING {qn(meta.pk.column)}", params)
            for event, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                event.pk = pk
                event._state.adding = False
                event._state.db = connection.alias
