"""Taking in what the webhooks received (`accept`, the one door every channel's messages come in by) and
handling it in the worker: each sender's messages one at a time in the provider's
time order, each in one transaction with everything it causes (so a crash loses nothing and a message is
never handled twice), then the answers it left to send.

Files are fetched from the provider before that transaction (a slow provider must not hold SQLite's write
lock); fetching is a read, so doing it again after a crash is harmless."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from sikesal.complaints import senders
from sikesal.complaints.attachments import check_upload
from sikesal.integrations.inbound import adapters, conversation
from sikesal.integrations.inbound.adapters import MediaError
from sikesal.integrations.inbound.models import Conversation, InboundMessage, OutboundMessage
from sikesal.integrations.notify import channels
from sikesal.integrations.notify.models import Notification
from sikesal.integrations.notify.tasks import send_notification
from sikesal.integrations.notify.transports import Outbox

log = logging.getLogger("sikesal.inbound")
MAX_SEND_ATTEMPTS = 6  # as notifications': the last retry about 16 minutes after the first try
SENDING_LEASE = dt.timedelta(minutes=5)  # an answer claimed this long ago by a worker that died is sent again


def accept(found):
    """Store what a channel's webhook received (unsaved InboundMessage rows) and queue their handling: each
    message and delivery report once (unique channel and provider id), so a re-delivery stores and queues
    nothing, and in the same transaction one task for each sender with something new. Returns the rows it
    stored. Every channel's messages come in here, so a check on the sender (a block list, a per-sender
    limit) belongs here too."""
    stored = []
    with transaction.atomic():
        for row in found:
            obj, created = InboundMessage.objects.get_or_create(
                channel=row.channel,
                external_id=row.external_id,
                defaults={f: getattr(row, f) for f in ("kind", "sender", "sent_at", "content", "raw")},
            )
            if created:
                stored.append(obj)
        for channel, sender in sorted({(obj.channel, obj.sender) for obj in stored}):
            process_inbound.enqueue(channel, sender)
    return stored


@task()
def process_inbound(channel, sender):
    """Enqueued by `accept` in the transaction that stored the sender's message(s)."""
    handle_pending(channel, sender)
    send_answers(channel, sender)


def handle_pending(channel, sender):
    adapter = adapters.get(channel)
    while True:
        pending = _unhandled().filter(channel=channel, sender=sender).order_by("sent_at", "id").first()
        if pending is None:
            return
        incoming = _read(adapter, pending) if pending.kind == InboundMessage.Kind.MESSAGE else None
        with transaction.atomic():
            locked = _unhandled().select_for_update().filter(pk=pending.pk).first()
            if locked is None:
                continue  # another worker handled it meanwhile
            if incoming is not None and senders.check(adapter.contact, sender, channel, scope=senders.MESSAGE).limited:
                # A flood: kept and marked for the admin, not answered (an answer per message feeds it).
                locked.error = "limited: over messages_per_sender_per_minute"
                locked.processed_at = timezone.now()
                locked.save(update_fields=["processed_at", "error"])
                continue
            try:
                with transaction.atomic():
                    if incoming is None:
                        _apply_status(channel, locked)
                    else:
                        OutboundMessage.objects.bulk_create(conversation.handle(adapter, incoming, locked))
            except Exception as exc:
                # Kept, marked and logged rather than retried forever; the citizen is told to try again.
                log.exception("inbound %s message %s could not be handled", channel, locked.pk)
                locked.error = f"{type(exc).__name__}: {exc}"[:300]
                if incoming is not None:
                    with translation.override(settings.LANGUAGE_CODE):
                        OutboundMessage.objects.create(
                            channel=channel,
                            to=sender,
                            reply_to=locked,
                            body=_("Sorry, something went wrong on our side. Please send your message again."),
                        )
            locked.processed_at = timezone.now()
            locked.save(update_fields=["processed_at", "error"])
            if incoming is not None and not locked.error:
                transaction.on_commit(lambda message=locked: adapter.release_media(message))


def _unhandled():
    return InboundMessage.objects.filter(processed_at__isnull=True)


def _read(adapter, message):
    content = message.content
    incoming = conversation.Incoming(
        sender=message.sender,
        sent_at=message.sent_at,
        text=str(content.get("text") or ""),
        name=str(content.get("name") or ""),
        reply_to=str(content.get("reply_to") or ""),
        references=[str(r) for r in content.get("references") or []],
        choice=str(content.get("choice") or ""),
        location=content.get("location"),
        subject=str(content.get("subject") or ""),
        about=str(content.get("about") or ""),
        whole_report=bool(content.get("whole_report")),
    )
    for item in content.get("media", []):
        try:
            name, data = adapter.fetch_media(item)
        except MediaError as exc:
            log.warning("inbound %s media %s: %s", adapter.name, item.get("id"), exc)
            incoming.refused.append(_("Your file could not be received. Please send it again."))
            continue
        checked, error = check_upload(name, data)
        if error:
            incoming.refused.append(error)
        else:
            incoming.files.append(checked)
    return incoming


def _apply_status(channel_name, message):
    """A provider's delivery report: on the message we sent and, for a notification, on the Notification."""
    channel = channels.get(channel_name)
    payload = message.content
    sent = OutboundMessage.objects.filter(channel=channel_name, external_id=payload.get("id")).first()
    if sent is None:
        return
    state = OutboundMessage.State
    order = [state.SENT, state.DELIVERED, state.READ]
    new = payload.get("status")
    if new == state.FAILED or (new in order and sent.state in order and order.index(new) > order.index(sent.state)):
        sent.state = new
        sent.error = str(payload.get("error") or "")[:300]
        sent.save(update_fields=["state", "error"])
    change = channel.status_change(payload)
    if change is not None:
        Notification.objects.filter(pk=change.notification_id).update(state=change.state, last_error=change.error)
        if change.state == Notification.State.PENDING:  # the channel asks for another try (WhatsApp's 131047)
            send_notification.enqueue(change.notification_id)


def send_answers(channel_name, to):
    """Send the answers waiting for `to`, oldest first; each is claimed before it is sent, so two workers
    never send the same one. One the provider refuses is tried again with backoff, the later ones with it."""
    channel = channels.get(channel_name)
    adapter = adapters.get(channel_name)
    now = timezone.now()
    claimable = Q(state=OutboundMessage.State.PENDING) | Q(
        state=OutboundMessage.State.SENDING, claimed_at__lt=now - SENDING_LEASE
    )
    waiting = OutboundMessage.objects.filter(claimable, channel=channel_name, to=to, external_id__isnull=True)
    with Outbox() as outbox:
        for answer in waiting.select_related("reply_to", "complaint").order_by("id"):
            claimed = OutboundMessage.objects.filter(claimable, pk=answer.pk).update(
                state=OutboundMessage.State.SENDING, claimed_at=now
            )
            if not claimed:
                continue
            try:
                external_id = channel.send(outbox, to, adapter.outgoing(answer))
            except Exception as exc:  # any failure of the provider is retried, never lost silently
                _failed(answer, channel_name, to, str(exc)[:300] or type(exc).__name__, now)
                break  # the rest wait for the retry: the citizen reads the answers in their order
            OutboundMessage.objects.filter(pk=answer.pk).update(
                state=OutboundMessage.State.SENT, external_id=external_id, attempts=answer.attempts + 1
            )


def _failed(answer, channel_name, to, error, now):
    attempts = answer.attempts + 1
    if attempts >= MAX_SEND_ATTEMPTS:
        log.warning("answer %s on %s failed for good: %s", answer.pk, channel_name, error)
        state = OutboundMessage.State.FAILED
    else:
        state = OutboundMessage.State.PENDING
        delay = dt.timedelta(seconds=30 * 2 ** (attempts - 1))
        process_inbound.using(run_after=now + delay).enqueue(channel_name, to)
    OutboundMessage.objects.filter(pk=answer.pk).update(state=state, error=error, attempts=attempts)


@task()
def expire_conversations():
    """Periodic: conversations left idle past their time end politely, unless a message of theirs still
    waits (the worker will handle it, and it decides by the time the citizen sent it)."""
    now = timezone.now()
    for conv in Conversation.objects.filter(expires_at__lte=now).order_by("id")[:500]:
        with transaction.atomic():
            locked = Conversation.objects.select_for_update().filter(pk=conv.pk, expires_at__lte=now).first()
            if locked is None or _unhandled().filter(channel=locked.channel, sender=locked.sender).exists():
                continue
            with translation.override(locked.language):
                OutboundMessage.objects.create(
                    channel=locked.channel, to=locked.sender, body=conversation.expired_text()
                )
            conversation.discard(locked)
        send_answers(conv.channel, conv.sender)
