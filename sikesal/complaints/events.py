"""Timeline events as both doors write them: the lifecycle's `transition` (one event per change) and
submission's `submit`/`submit_many` (the first event of each new report). A saved event always comes with
its pending side effects and its recorders' rows in the same transaction (complaints/effects.py)."""

from dataclasses import dataclass

from sikesal.complaints import effect_queue, effects, policy
from sikesal.complaints.models import Attachment, Complaint, Event
from sikesal.complaints.states import Visibility
from sikesal.core.prepared import PreparedInsert


@dataclass
class Result:
    """What a door returns: the report as written and the event it wrote."""

    complaint: Complaint
    event: Event
    secret: str | None = None  # the private-link secret, known only right after submission
    replayed: bool = False  # an idempotent repeat of an earlier submission


def timeline_actor(actor):
    """How `actor` appears on a timeline event: (user or None, role, label)."""
    # A reporter's account never appears on the timeline: the Reporter row, behind the policy, is
    # the only link between a person and their report (anonim reports stay anonymous to staff).
    is_reporter = policy.hides_author(actor)
    return (
        None if is_reporter or not getattr(actor.user, "pk", None) else actor.user,
        actor.role,
        "Pelapor" if is_reporter else actor.label[:150],
    )


def new_event(c, action, actor, now, from_status, visibility, message="", payload=None):
    """The timeline row of a change, not yet saved (the door saves it; the bulk submission saves many at
    once; the set-based sweep builds the same rows from timeline_actor without the model)."""
    user, role, label = timeline_actor(actor)
    return Event(
        complaint=c,
        created_at=now,
        action=action,
        actor=user,
        actor_role=role,
        actor_label=label,
        from_status=from_status,
        to_status=c.status,
        visibility=visibility,
        message=message,
        payload=payload or {},
    )


def save_event(event):
    """Save a row of `new_event` with its pending side effects and its recorders' rows, in the caller's
    transaction."""
    event.save(force_insert=True)
    effect_queue.enqueue(event)  # its side effects, run by the worker in batches
    _record(event)
    return event


def prepared_event(event, complaint):
    """`save_event` for the first event of a report not saved yet, its SQL compiled now (before the
    transaction, core/prepared.py); returns the function that runs it inside, after the report's insert."""
    insert = PreparedInsert(event, complaint=complaint)
    queued = PreparedInsert(effect_queue.pending(event), event=event)

    def run():
        insert.run()
        queued.run()
        _record(event)
        return event

    return run


def _record(event):
    for record in effects.recorders():  # in this transaction (complaints/effects.py)
        record(event)


def save_events(events):
    """`save_event` for many unsaved rows of `new_event` at once: one insert, one insert of their pending
    side effects, and the recorders (in bulk where they can), all in the caller's transaction."""
    Event.objects.bulk_create(events)
    effect_queue.enqueue_many(events)
    effects.record_many(events)
    return events


def store_attachment(c, checked, stored, event=None, visibility=Visibility.PUBLIC):
    """Save a checked upload (attachments.check_uploads) as `c`'s attachment, shown with `event` when
    given; its file is appended to `stored` so the caller can delete it if the transaction rolls back."""
    att = Attachment(
        complaint=c,
        event=event,
        visibility=visibility,
        kind=checked.kind,
        content_type=checked.content_type,
        extension=checked.extension,
        original_name=checked.original_name,
        size=checked.size,
        sha256=checked.sha256,
    )
    att.file.save("upload", checked.as_django_file(), save=False)
    stored.append(att.file)
    att.save()
    return att
