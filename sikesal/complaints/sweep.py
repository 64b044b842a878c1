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
  serialises them), read as plain tuples into slotted rows (_Row), each row's steps are applied in
  memory by the same code the door runs (lifecycle.apply), and the batch is written together with
  plain SQL (rawsql.py): one UPDATE per set of changed fields with each row's version in the WHERE (a
  row that moved on is untouched and the batch is retried one report at a time), the events and their
  side-effect rows with multi-row INSERTs, and the recorders' rows (the SP4N-LAPOR! outbox) together.
  The escalation rungs of a bulk run reach each OPD's people as one digest per run
  (backoffice/ladder.send_rung_digests) instead of one e-mail per rung and report.
"""

import logging
import operator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from sikesal.complaints import deadlines, effect_queue, effects, lifecycle, rawsql
from sikesal.complaints.actions import Action
from sikesal.complaints.deadlines import ON_PASSING, next_sweep_at
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.events import timeline_actor
from sikesal.complaints.intake import without_controls
from sikesal.complaints.models import Complaint, Event
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import Status

log = logging.getLogger("sikesal.sweep")

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
    steps = []
    for name, stage, point, key, _ in lifecycle.rungs(complaint):
        if point > now:
            break  # the ladder is in order: no later rung is due either
        # A deadline whose passing ends the report (DeadlineSpec.on_passing) instead of being marked.
        action = ON_PASSING.get(name) if stage == "overdue" else None
        if action:
            steps.append((action, {}))
            return steps
        if key not in complaint.overdue_marks:
            steps.append((Action.MARK_OVERDUE, {"deadline": name, "stage": stage}))
    return steps


def _count(result, action):
    if action == Action.CLOSE_SYSTEM:
        result.closed += 1
    elif action == Action.ARCHIVE_SYSTEM:
        result.archived += 1
    else:
        result.overdue_marked += 1


def _sweep_one(pk, now, actor, result):
    complaint = Complaint.objects.filter(pk=pk).first()
    if complaint is not None:
        _take_due_steps(complaint, now, actor, result, read_again=True)


def _take_due_steps(complaint, now, actor, result, read_again):
    steps = _due_steps(complaint, now)
    if not steps:
        _reschedule([(complaint.pk, complaint.version, complaint.next_sweep_at, next_sweep_at(complaint))])
    for action, data in steps:
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
# recorders read, those the sweep never writes first. A rule that needs another field leaves its report
# to the door (_Row); the test suite checks that a batch costs a fixed number of queries. The deadline
# columns are the table's (deadlines.DEADLINES), so a new deadline rule is read and written here too.
_KEPT = ("id", "tracking_number", "version", "channel", "institution_id")


def _writable():
    return (
        "status",
        "status_changed_at",
        "closed_at",
        "first_response_at",
        *deadlines.fields(),
        "due_at",
        "next_sweep_at",
        "overdue_marks",
        "updated_at",
    )


class _Layout:
    """The columns of a claimed row for one version of the deadline table, and its slotted row class."""

    def __init__(self, writable):
        self.writable = writable
        self.read = _KEPT + writable
        self.values = operator.attrgetter(*writable)
        self.row = type("_Row", (_Row,), {"__slots__": self.read, "_READ": self.read})


@lru_cache(maxsize=4)
def _layout(version):  # memoised per version of the deadline table (a test adds a scratch rule)
    return _Layout(_writable())


def _read_columns():
    """The columns a claimed row is read with, for the deadline table as it is now."""
    return _layout(deadlines.table_version()).read


class _Row:
    """A claimed report as the rules see it: the layout's fields in slots (a subclass per _Layout),
    without the model's __init__, descriptors and signals (a fifth of a batch's time). A rule that reads or
    writes any other field raises AttributeError, and that report goes through the door, which reads the
    whole row."""

    __slots__ = ()
    _READ = ()

    def __init__(self, values):
        for name, value in zip(self._READ, values, strict=True):
            setattr(self, name, value)

    @property
    def pk(self):
        return self.id

    def get_status_display(self):  # the message of a refused transition
        return Status(self.status).label


class _NewEvent:
    """A timeline row the sweep inserts: Event's columns (by attname), its pk once inserted, and the
    report as read (the SP4N-LAPOR! recorder reads its channel). Built without the model: its __init__
    was another fifth of a batch's time."""

    __slots__ = (
        "pk",
        "complaint",
        "complaint_id",
        "created_at",
        "action",
        "actor_id",
        "actor_role",
        "actor_label",
        "from_status",
        "to_status",
        "visibility",
        "message",
        "payload",
    )


def _apply(c, action, data, actor, now, who):
    """One step on one claimed report by the door's rules (lifecycle.apply), and its timeline row as
    events.new_event makes it; `who` is timeline_actor(actor) as (user id, role, label)."""
    from_status, change = lifecycle.apply(c, action, lifecycle.TRANSITIONS[action], actor, now, without_controls(data))
    e = _NewEvent()
    e.pk, e.complaint, e.complaint_id, e.created_at, e.action = None, c, c.id, now, action
    e.actor_id, e.actor_role, e.actor_label = who
    e.from_status, e.to_status, e.visibility = from_status, c.status, change.visibility
    e.message, e.payload = change.message, change.payload or {}
    return e


class _Moved(Exception):
    """A claimed row changed under the batch (it cannot on PostgreSQL or IMMEDIATE SQLite)."""


# SQLite's page cache while a bulk sweep runs, in KiB (SQLite's default is 2 MiB): a batch's updates touch
# index pages all over a large table, and each page not in the cache is read again from the OS.
SQLITE_SWEEP_CACHE_KIB = 256 * 1024


@contextmanager
def _page_cache():
    """A larger SQLite page cache for this connection while the bulk sweep runs, then the one it had."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{int(SQLITE_SWEEP_CACHE_KIB)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def sweep_bulk(now=None, batch_size=1000):
    """The set-based path: batches of due rows claimed, changed and recorded together."""
    now = now or timezone.now()
    actor = Actor.system(ACTOR_LABEL)
    result = SweepResult(bulk=True)
    with _page_cache():
        return _sweep_batches(now, actor, result, batch_size)


def _sweep_batches(now, actor, result, batch_size):
    """sweep_bulk's loop: one batch per transaction until none is due."""
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
            effects.digest_rungs(now)


def _bulk_batch(now, actor, last_id, batch_size, result):
    """One batch in the caller's transaction. Returns (claimed ids, ids left to the one-report path,
    whether a ladder rung was marked)."""
    layout = _layout(deadlines.table_version())
    rows = list(
        Complaint.objects.filter(next_sweep_at__lte=now, pk__gt=last_id)
        .select_for_update(skip_locked=True, of=("self",))  # PostgreSQL; a no-op on SQLite
        .order_by("pk")
        .values_list(*layout.read)[:batch_size]
    )
    if not rows:
        return [], [], False
    claimed = [values[0] for values in rows]
    user, role, label = timeline_actor(actor)
    who = (getattr(user, "pk", None), role, label)
    later, events, changed, idle, counts = [], [], [], [], SweepResult(examined=len(rows))
    for values in rows:
        c = layout.row(values)
        steps = _due_steps(c, now)
        if not steps:
            idle.append((c.id, c.version, c.next_sweep_at, next_sweep_at(c)))
            continue
        try:
            mine = [_apply(c, action, data, actor, now, who) for action, data in steps]
        except LifecycleError as exc:
            log.debug("bulk sweep left %s to the door: %s", c.tracking_number, exc.code)
            later.append(c.id)
            continue
        except AttributeError as exc:  # a rule read or wrote a field not in the layout
            log.error("bulk sweep: %s needs fields beyond the layout (%s); left to the door", c.tracking_number, exc)
            later.append(c.id)
            continue
        for event in mine:
            _count(counts, event.action)
        before = values[len(_KEPT) :]
        fields = {name for name, old, new in zip(layout.writable, before, layout.values(c), strict=True) if old != new}
        changed.append((c, c.version, fields))
        c.version += len(mine)
        events.extend(mine)
    if changed:
        try:
            _write(changed)
        except _Moved as exc:
            raise _Moved(exc.args[0], claimed) from None  # the whole batch is rolled back
    _reschedule(idle)
    if events:
        _insert(events)
        effect_queue.enqueue_ids([e.pk for e in events], skip=effects.DIGESTED)
        effects.record_many(events)
    result.examined += counts.examined
    result.closed += counts.closed
    result.archived += counts.archived
    result.overdue_marked += counts.overdue_marked
    rung = any(e.action == Action.MARK_OVERDUE and e.payload["deadline"] in deadlines.LADDER_DEADLINES for e in events)
    return claimed, later, rung


def _reschedule(idle):
    """Reports read as due with nothing to do (their deadlines moved, or they were made due by hand): the
    next sweep point recomputed, so that every sweep does not read them again. Not a change anyone sees:
    no event, and the version stays (a reader's page and an officer's form stay current). [(id, version
    read, next_sweep_at read, recomputed)]"""
    field = Complaint._meta.get_field("next_sweep_at")
    moved = [(rawsql.prepare(field, new), pk, version) for pk, version, old, new in idle if new != old]
    if moved:
        rawsql.update_unless_moved(Complaint, [field], moved, Complaint._meta.get_field("version"))


def _write(changed):
    """The changed rows, each with its own values, in one UPDATE per set of changed fields (a row is
    written only where it changed: on SQLite an index is rewritten when a column in it is set, even to
    the same value). The version read is in the WHERE, so a row that moved on since it was read is left
    alone (and the batch rolled back)."""
    alike = {}
    for c, old, fields in changed:
        alike.setdefault(tuple(sorted(fields)), []).append((c, old))
    meta = Complaint._meta
    version = meta.get_field("version")
    done = 0
    for names, group in alike.items():
        columns = [meta.get_field(name) for name in names]
        values = rawsql.values_of(columns)
        rows = [(*values(c), c.version, c.id, old) for c, old in group]
        updated = rawsql.update_unless_moved(Complaint, [*columns, version], rows, version)
        done = -1 if -1 in (done, updated) else done + updated
    if done not in (-1, len(changed)):
        raise _Moved(f"{len(changed) - done} of {len(changed)} rows changed meanwhile")


def _insert(events):
    """The events' rows, as Event.objects.bulk_create writes them, and their new ids."""
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    values = rawsql.values_of(fields)
    rows = [values(e) for e in events]
    for event, pk in zip(events, rawsql.insert(Event, fields, rows, returning=True), strict=True):
        event.pk = pk
