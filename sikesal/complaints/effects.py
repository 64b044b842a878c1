"""What an event causes, in one place and in order: the path from a timeline event to its effects.

Two kinds, because their guarantees differ:
- RECORDERS run inside the change's own transaction, so their rows exist exactly when the change does
  (the SP4N-LAPOR! outbox: a worker killed between a change and its effects must lose nothing);
- HANDLERS run afterwards in the worker, in batches (complaints/effect_queue.py), in this order, each one
  idempotent and retried on its own when it fails: telling the reporter first (e-mail/SMS, then Web Push
  to browsers following the report), then the routing
  model's bookkeeping, then the escalation ladder's messages to the OPD.
"""

from django.utils.module_loading import import_string

RECORDERS = ("sikesal.integrations.lapor.outbound.on_event",)
# The set-based sweep (sweep.py) writes a batch of events in one transaction. A recorder with a
# counterpart for a list of events (the same rows, written together) is called once per batch through
# it; any other recorder is called once per event, as the door calls it.
BULK_RECORDERS = {"sikesal.integrations.lapor.outbound.on_event": "sikesal.integrations.lapor.outbound.on_events"}
HANDLERS = (
    "sikesal.integrations.notify.handlers.notify_reporter",
    "sikesal.integrations.webpush.handlers.push_status",
    "sikesal.routing.service.on_event",
    "sikesal.backoffice.ladder.notify_rung",
    # an archive as prank may block its sender (complaints/senders.py), audited where the audit log lives
    "sikesal.backoffice.blocklist.block_pranksters",
)
# A handler with a counterpart for a list of events (one query, one insert for a whole batch): the worker
# calls the counterpart for a claimed batch, and the handler per event only when the counterpart raises (to
# find the event at fault, complaints/effect_queue.py). Keyed by the handler's path in HANDLERS.
BATCHED = {
    "sikesal.integrations.notify.handlers.notify_reporter": "sikesal.integrations.notify.handlers.notify_reporters",
    "sikesal.integrations.webpush.handlers.push_status": "sikesal.integrations.webpush.handlers.push_many",
    "sikesal.routing.service.on_event": "sikesal.routing.service.on_events",
}
# The set-based sweep tells each OPD of the rungs it marked in one digest per run
# (backoffice.ladder.send_rung_digests) instead of one e-mail per rung: its events are dispatched
# without these handlers.
DIGESTED = ("sikesal.backoffice.ladder.notify_rung",)
# ... and the task that sends those digests, enqueued once per run that marked a rung.
RUNG_DIGESTS = "sikesal.backoffice.tasks.rung_digests"

_resolved = {}


def _load(paths):
    if paths not in _resolved:
        _resolved[paths] = [import_string(path) for path in paths]
    return _resolved[paths]


def recorders():
    return _load(RECORDERS)


def record_many(events):
    """Run every recorder for `events` (saved, in the caller's transaction), in RECORDERS' order."""
    for path in RECORDERS:
        if path in BULK_RECORDERS:
            _load((BULK_RECORDERS[path],))[0](events)
        else:
            record = _load((path,))[0]
            for event in events:
                record(event)


def handlers():
    return _load(HANDLERS)


def batched(handler):
    """The counterpart of `handler` for a list of events (BATCHED), or None when it has none."""
    path = BATCHED.get(f"{handler.__module__}.{handler.__qualname__}")
    return _load((path,))[0] if path else None


def digest_rungs(at):
    """Enqueue the digest of the rungs a set-based sweep run marked at `at` (RUNG_DIGESTS)."""
    _load((RUNG_DIGESTS,))[0].enqueue(at.isoformat())
