"""Taking in what the webhooks received (`accept`, the one door every channel's messages come in by) and
handling it in the worker (`drain`, on a thread of its own): each sender's messages one at a time in the
provider's time order, in one transaction with everything they cause (so a crash loses nothing and a
message is never handled twice), then the answers they left to send. The worker handles a few senders in
one transaction (`_handle_group`), each sender in a savepoint of its own.

The messages waiting are the queue: the webhook only stores them, and the worker looks for them. A task per
sender (as the first version queued) cost more than the conversation step it ran: a task's row written by
the webhook, then claimed and finished by the worker, 1.1 ms of the 3.4 ms of CPU a message cost in all.
Tasks remain for what must wait (an answer tried again after a backoff, retry_answers).

Files are fetched from the provider before that transaction (a slow provider must not hold SQLite's write
lock); fetching is a read, so doing it again after a crash is harmless."""

import contextlib
import datetime as dt
import logging
import queue
import threading
import time
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from sikesal.complaints import senders
from sikesal.complaints.attachments import check_upload
from sikesal.core.prepared import PreparedInsert
from sikesal.integrations.inbound import adapters, conversation, lookups
from sikesal.integrations.inbound.adapters import MediaError
from sikesal.integrations.inbound.models import Conversation, InboundMessage, OutboundMessage
from sikesal.integrations.notify import channels
from sikesal.integrations.notify.models import Notification
from sikesal.integrations.notify.tasks import send_notification
from sikesal.integrations.notify.transports import Outbox

log = logging.getLogger("sikesal.inbound")
MAX_SEND_ATTEMPTS = 6  # as notifications': the last retry about 16 minutes after the first try
SENDING_LEASE = dt.timedelta(minutes=5)  # an answer claimed this long ago by a worker that died is sent again
BATCH = 50  # messages handled, or answers sent, in one transaction: bounds how long one holds SQLite's lock
# Senders the worker handles in one transaction (at most BATCH messages in all). On SQLite every transaction
# queues for the one write lock behind the webhooks' inserts: one per sender, the handling thread spent about
# a third of its time waiting in that queue at 300 messages a second (bench/whatsapp.py, 2026-12-07). A
# group of 8 holds the lock for some 20 ms, which a webhook waiting behind it can afford.
GROUP = 8
SETTLE = dt.timedelta(milliseconds=500)  # how long a message waits before it is handled with others
FLOODED = "limited: over messages_per_sender_per_minute"  # the mark on a message kept but not answered
SENDERS_PER_LOOK = 200  # senders taken from one look at the waiting messages (drain)


def accept(found):
    """Store what a channel's webhook received (unsaved InboundMessage rows), each message and delivery
    report once (unique channel and provider id): a re-delivery stores nothing. The worker finds what was
    stored (`drain`). Returns the rows it stored. Every channel's messages come in here, so a check on the
    sender (a block list, a per-sender limit) belongs here too."""
    # Inserted straight away, all in one transaction: a re-delivery is rare, and a look first (or a
    # savepoint for each) cost as much as the insert.
    try:
        with transaction.atomic():
            for row in found:
                PreparedInsert(row).run()  # as save(force_insert=True), its statement compiled once
        return list(found)
    except IntegrityError:
        for row in found:  # what the rolled-back transaction gave them
            row.pk, row._state.adding = None, True
    stored = []
    with transaction.atomic():  # a re-delivery among them: one at a time
        for row in found:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
            except IntegrityError:
                if not InboundMessage.objects.filter(channel=row.channel, external_id=row.external_id).exists():
                    raise  # not the re-delivery the unique constraint is there for
                continue
            stored.append(row)
    return stored


def drain(max_seconds=None, sending=None):
    """The worker's inbound loop: the senders with messages waiting, the longest-waiting first, each handled
    and answered (`process`), until none waits (or `max_seconds` have passed). Returns how many senders it
    took. Several workers share the queue: on PostgreSQL a sender taken by one is skipped by the others
    (`_sender_taken`); on SQLite they would take turns at the write lock anyway (one worker is faster there,
    docs/channels.md), and a sender handled by two at once is still handled once (_handle_waiting).
    `sending`: the worker's Sending, or None to send each sender's answers before the next (batch mode)."""
    started, taken = time.monotonic(), 0
    while True:
        done = 0
        waiting = lookups.senders_waiting(SENDERS_PER_LOOK)
        for start in range(0, len(waiting), GROUP):
            if sending is not None:
                sending.record(wait=sending.full())
            done += _handle_group(waiting[start : start + GROUP], sending)
        taken += done
        if not done or (max_seconds is not None and time.monotonic() - started > max_seconds):
            return taken


@contextlib.contextmanager
def _sender_taken(channel, sender):
    """Take the sender for this worker while it is handled: True unless another worker has it. PostgreSQL's
    session advisory lock, keyed by a hash of the sender (two senders sharing a key only wait their turn);
    it goes with the connection, so a worker that dies holds nothing."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = zlib.crc32(f"inbound:{channel}:{sender}".encode()) - 2**31  # a signed 32-bit key
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_SPACE, key])
        mine = cursor.fetchone()[0]
    try:
        yield mine
    finally:
        if mine:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_SPACE, key])


_LOCK_SPACE = 4_717_301  # the first key of SIKESAL's inbound advisory locks (any other use picks its own)


def _handle_group(group, sending):
    """Handle the waiting messages of the senders in `group` (channel, sender) in one transaction, each
    sender's in a savepoint (one that fails is rolled back and logged alone; it is tried again on the next
    look), then send their answers. Their files are fetched first, outside the transaction. Stops taking
    senders once BATCH messages are in hand: the others wait for the next look. Returns how many senders
    it handled."""
    handled = []
    with contextlib.ExitStack() as taken:
        read, messages = [], 0
        for channel, sender in group:
            if messages >= BATCH:
                break
            try:
                if taken.enter_context(_sender_taken(channel, sender)) and (found := _read_waiting(channel, sender)):
                    read.append(found)
                    messages += len(found.messages)
            except Exception:  # the others are not held up behind it
                # (the sender's address stays out of the log: a phone number or an e-mail address)
                log.exception("inbound %s messages of one sender could not be read", channel)
        if read:
            with transaction.atomic():
                for found in read:
                    try:
                        with transaction.atomic():
                            handled.append((found, _handle_waiting(found)))
                    except _Raced:
                        pass  # another worker handled some of them: what still waits is read on the next look
                    except Exception:
                        log.exception("inbound %s messages of one sender could not be handled", found.channel)
        for found, claimed in handled:
            try:
                _answer(found.channel, found.sender, claimed, sending)
            except Exception:  # handled and committed: the answers go after their lease (resend_abandoned)
                log.exception("inbound %s answers to one sender could not be sent", found.channel)
    return len(handled)


def process(channel, sender, sending=None):
    """Handle the sender's waiting messages, then send what waits for them: at once, or on the worker's
    sending threads (`sending`)."""
    _answer(channel, sender, handle_pending(channel, sender), sending)


def _answer(channel, sender, claimed, sending):
    """Send the answers `claimed` for the sender (and what waits behind them), once they are committed."""
    if sending is None:
        if not claimed or _send(channel, sender, claimed):  # after a refusal, the rest wait for its retry
            send_answers(channel, sender)
        return
    # Nothing claimed: an answer may wait for a retry's backoff, or behind one being sent (Sending.record
    # claims those once it is written sent).
    claimed = claimed or _claim_answers(channel, sender)
    if claimed:
        sending.put(channel, sender, claimed)


class Sending:
    """The worker's answers on their way: posted to the provider on `threads` threads of their own, and
    written sent by the thread that handles the messages (`record`: one transaction for all that came back).

    The platform takes a few hundred milliseconds to answer a send over the internet; a worker that waited
    for each answer before handling the next message would handle a few messages a second. Each citizen's
    answers always go on the same thread, in the order they were handled; a later answer that was waiting
    behind one on its way is claimed when that one is written sent. The threads write nothing and keep no
    database connection (one each would be dozens per worker on PostgreSQL); SQLite's writes stay on one
    thread.
    A worker killed between a send and its record leaves the answer claimed: it goes again after
    SENDING_LEASE (resend_abandoned), the one case in which a citizen may read an answer twice."""

    def __init__(self, threads):
        self.queues = [queue.Queue() for _ in range(max(1, threads))]
        self.done = queue.Queue()
        self.in_flight = 0  # batches handed out and not yet recorded (the handling thread's count)
        self.limit = 4 * len(self.queues)  # more than this in flight: the handling waits for the provider
        for number, work in enumerate(self.queues):
            threading.Thread(target=self._post, args=(work,), daemon=True, name=f"inbound-send-{number}").start()

    def put(self, channel, to, batch):
        self.in_flight += 1
        self.queues[zlib.crc32(f"{channel}:{to}".encode()) % len(self.queues)].put((channel, to, batch))

    def full(self):
        """How long to wait for answers to come back before handling more (0: no need)."""
        return 0.05 if self.in_flight >= self.limit else 0

    def _post(self, work):
        while (item := work.get()) is not None:
            channel, to, batch = item
            try:
                outcome = _post(channel, to, batch)
            except Exception as exc:  # a bug must not end the thread: the answers go again after a backoff
                log.exception("answers %s… on %s could not be sent", batch[0].pk, channel)
                outcome = ([], (batch[0], f"{type(exc).__name__}: {exc}"[:300]))
            self.done.put((channel, to, batch, *outcome))
            if connection.connection is not None:  # a channel looked something up (WhatsApp's window, for
                connection.close()  # an answer to no message): closed rather than kept by this thread

    def record(self, wait=0):
        """Write sent what came back (waiting up to `wait` seconds for the first), and hand out what was
        waiting behind it. Returns how many batches came back."""
        results = []
        try:
            results.append(self.done.get(timeout=wait) if wait else self.done.get_nowait())
            while True:
                results.append(self.done.get_nowait())
        except queue.Empty:
            pass
        if not results:
            return 0
        self.in_flight -= len(results)
        with transaction.atomic():
            for channel, to, batch, sent, failure in results:
                _record(channel, to, batch, sent, failure)
        for channel, to, _batch, _sent, failure in results:
            more = [] if failure is not None else _claim_answers(channel, to)
            if more:
                self.put(channel, to, more)
        return len(results)

    def finish(self, timeout):
        """A clean stop: what is on its way is written sent (for up to `timeout` seconds), then the threads
        end."""
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            self.record(wait=0.1)
        for work in self.queues:
            work.put(None)


@task(takes_context=True)
def retry_answers(context, answer_id):
    """Queued when the answer `answer_id` was refused, to try it (and what waits behind it) again after a
    backoff (`_failed`). Its argument is the answer's id, not the citizen's address: a task's row is kept
    after it ran, and an erasure (privacy/anonymise.py) must not leave the number in it. A second attempt is
    a task whose worker died running it (core/workers.py requeued it): what that worker had claimed to send
    and not written sent is sent now, not after SENDING_LEASE."""
    answer = OutboundMessage.objects.filter(pk=answer_id).values_list("channel", "to").first()
    if answer is None:  # erased meanwhile
        return
    channel, to = answer
    if context.attempt > 1:
        _unsent(channel, to).filter(state=OutboundMessage.State.SENDING).update(
            state=OutboundMessage.State.PENDING, claimed_at=None
        )
    process(channel, to)


@task()
def resend_abandoned():
    """Periodic: answers a worker took to send and never wrote sent (it died in between) are sent once
    SENDING_LEASE has passed, whether or not the citizen writes again."""
    for channel, to in lookups.abandoned(timezone.now() - SENDING_LEASE):
        send_answers(channel, to)


def handle_pending(channel, sender):
    """The sender's waiting messages, oldest first, in one transaction for as many as have waited SETTLE
    (at most BATCH): one write for a citizen who sent several while the worker was busy, instead of one each. Each
    message is handled in its own savepoint, so one that fails is marked alone and the others stand.

    Returns the answers it wrote already claimed for sending by this worker (no claim of their own to write),
    when nothing older waits to be sent to the sender; otherwise they wait behind it (send_answers)."""
    claimed = []
    while (found := _read_waiting(channel, sender)) is not None:
        try:
            with transaction.atomic():
                claimed += _handle_waiting(found, claimed)
        except _Raced:
            continue  # what still waits is read again
        if found.complete:
            # All that waited is handled; a message that came meanwhile is found by the worker's next look
            # (drain), so there is nothing to look for again.
            break
    return claimed


class _Raced(Exception):
    """Another worker handled some of the messages meanwhile: the transaction is undone."""


@dataclass
class _Waiting:
    """A sender's waiting messages, read (their files fetched) before the transaction that handles them:
    a slow provider must not hold SQLite's write lock."""

    adapter: object
    channel: str
    sender: str
    messages: list
    incoming: dict  # message id -> conversation.Incoming (None for a delivery report)
    complete: bool  # all that waited is in `messages`


def _read_waiting(channel, sender):
    """The sender's messages to handle now (None when none waits)."""
    pending = lookups.unhandled_from(channel, sender, BATCH)
    if not pending:
        return None
    adapter = adapters.get(channel)
    # The first always; the next ones with it only once they have waited SETTLE: webhooks of messages
    # sent close together may still be on their way, and one of them may come before them in time.
    settled = timezone.now() - SETTLE
    fresh = next((i for i, m in enumerate(pending) if i and m.received_at > settled), len(pending))
    complete = fresh == len(pending) < BATCH
    pending = pending[:fresh]
    incoming = {m.pk: _read(adapter, m) if m.kind == InboundMessage.Kind.MESSAGE else None for m in pending}
    return _Waiting(adapter, channel, sender, pending, incoming, complete)


def _handle_waiting(found, claimed=()):
    """Handle the messages `found` in the caller's transaction; returns the answers it claimed for sending
    (see handle_pending; `claimed`: answers to the sender this worker claimed already). Raises _Raced."""
    adapter, channel, sender = found.adapter, found.channel, found.sender
    now = timezone.now()
    if lookups.mark_handled(list(found.incoming), now) < len(found.incoming):
        raise _Raced
    answers = []
    for message in found.messages:
        answers += _handle_one(adapter, message, found.incoming[message.pk])
        message.processed_at = now
        if message.error:  # kept and marked rather than answered (rare)
            InboundMessage.objects.filter(pk=message.pk).update(error=message.error)
    mine = []
    if answers and not lookups.waiting_to_send(channel, sender, excluding=[a.pk for a in claimed]):
        now = timezone.now()
        for answer in answers:
            answer.state, answer.claimed_at = OutboundMessage.State.SENDING, now
        mine = answers
    OutboundMessage.objects.bulk_create(answers)
    released = [m for m in found.messages if found.incoming[m.pk] is not None and not m.error]
    transaction.on_commit(lambda: [adapter.release_media(m) for m in released])
    return mine


def _handle_one(adapter, message, incoming):
    """Handle one message (its row locked); returns the answers it leaves to send (unsaved)."""
    if incoming is not None and senders.message_limited(adapter.contact, message.sender, message.channel):
        # A flood: kept and marked for the admin, not answered (an answer per message feeds it).
        message.error = FLOODED
        return []
    try:
        with transaction.atomic():
            if incoming is None:
                _apply_status(message.channel, message)
                return []
            return conversation.handle(adapter, incoming, message)
    except Exception as exc:
        # Kept, marked and logged rather than retried forever; the citizen is told to try again.
        log.exception("inbound %s message %s could not be handled", message.channel, message.pk)
        message.error = f"{type(exc).__name__}: {exc}"[:300]
        if incoming is None:
            return []
        with translation.override(settings.LANGUAGE_CODE):
            body = _("Sorry, something went wrong on our side. Please send your message again.")
        return [OutboundMessage(channel=message.channel, to=message.sender, reply_to=message, body=body)]


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
            checked, error = check_upload(name, data)
        except Exception as exc:  # a provider's error, or a file our checks choke on: refused, not retried
            # (an exception here would leave the message waiting, taken again on every look of the worker)
            log.warning(
                "inbound %s media %s: %s", adapter.name, item.get("id"), exc, exc_info=not isinstance(exc, MediaError)
            )
            incoming.refused.append(_("Your file could not be received. Please send it again."))
            continue
        if error:
            incoming.refused.append(error)
        else:
            incoming.files.append(checked)
    return incoming


def _apply_status(channel_name, message):
    """A provider's delivery report: on the message we sent and, for a notification, on the Notification."""
    channel = channels.get(channel_name)
    payload = message.content
    # Found or not, the channel reads the report: an SMS gateway's names its notification by the reference
    # it was given (status_change), since SIKESAL keeps no id of the gateway's.
    sent = None
    if payload.get("id"):  # (no id would be `external_id IS NULL`: every answer not yet sent)
        sent = OutboundMessage.objects.filter(channel=channel_name, external_id=payload["id"]).first()
    state = OutboundMessage.State
    order = [state.SENT, state.DELIVERED, state.READ]
    new = payload.get("status")
    if sent is not None and (
        new == state.FAILED or (new in order and sent.state in order and order.index(new) > order.index(sent.state))
    ):
        sent.state = new
        sent.error = str(payload.get("error") or "")[:300]
        sent.save(update_fields=["state", "error"])
    change = channel.status_change(payload)
    if change is not None:
        Notification.objects.filter(pk=change.notification_id).update(state=change.state, last_error=change.error)
        if change.state == Notification.State.PENDING:  # the channel asks for another try (WhatsApp's 131047)
            send_notification.enqueue(change.notification_id)


def send_answers(channel_name, to):
    """Send the answers waiting for `to`, oldest first. They are claimed in one write (so two workers never
    send the same one) and written sent in one more, however many there are. One the provider refuses is
    tried again with backoff, the later ones with it. A worker that dies between sending and writing leaves
    them claimed: they are sent again once SENDING_LEASE has passed (as the one in flight always was)."""
    while _send(channel_name, to, _claim_answers(channel_name, to)):
        pass


def _send(channel_name, to, batch):
    """Send claimed answers in their order; True when all went (and there were some)."""
    if not batch:
        return False
    sent, failure = _post(channel_name, to, batch)
    with transaction.atomic():
        _record(channel_name, to, batch, sent, failure)
    return failure is None


def _post(channel_name, to, batch):
    """Send claimed answers in their order, writing nothing (`_record` does): (those sent, None), or (those
    sent, (the refused answer, why)) when the provider refused one (the rest not tried)."""
    channel = channels.get(channel_name)
    adapter = adapters.get(channel_name)
    sent = []
    with Outbox() as outbox:
        for answer in batch:
            try:
                answer.external_id = channel.send(outbox, to, adapter.outgoing(answer))
            except Exception as exc:  # any failure of the provider is retried, never lost silently
                return sent, (answer, str(exc)[:300] or type(exc).__name__)
            answer.state, answer.attempts = OutboundMessage.State.SENT, answer.attempts + 1
            sent.append(answer)
    return sent, None


def _record(channel_name, to, batch, sent, failure):
    """Write what `_post` did, in the caller's transaction."""
    for answer in sent:  # mostly one
        lookups.mark_sent(answer)
    if failure is not None:
        _failed(*failure, channel_name, to, batch[0].claimed_at)
        # the rest wait for the retry: the citizen reads the answers in their order
        unsent = [a.pk for a in batch[len(sent) + 1 :]]
        OutboundMessage.objects.filter(pk__in=unsent).update(state=OutboundMessage.State.PENDING, claimed_at=None)


def _unsent(channel_name, to):
    return OutboundMessage.objects.filter(
        channel=channel_name,
        to=to,
        external_id__isnull=True,
        state__in=[OutboundMessage.State.PENDING, OutboundMessage.State.SENDING],
    )


def _claim_answers(channel_name, to):
    now = timezone.now()
    # Looked at first without a transaction: on SQLite each one takes the write lock.
    if not lookups.claimable(channel_name, to, now - SENDING_LEASE):
        return []
    # Another worker sending to `to` now: it claims again once it has written what it sent, so it sends
    # these after its own, in their order (two senders would race: the citizen could read "2" before "1").
    if lookups.in_flight(channel_name, to, now - SENDING_LEASE):
        return []
    claimable = Q(state=OutboundMessage.State.PENDING) | Q(
        state=OutboundMessage.State.SENDING, claimed_at__lt=now - SENDING_LEASE
    )
    waiting = OutboundMessage.objects.filter(claimable, channel=channel_name, to=to, external_id__isnull=True)
    with transaction.atomic():
        batch = list(
            waiting.select_for_update(of=("self",)).select_related("reply_to", "complaint").order_by("id")[:BATCH]
        )
        OutboundMessage.objects.filter(pk__in=[a.pk for a in batch]).update(
            state=OutboundMessage.State.SENDING, claimed_at=now
        )
    for answer in batch:
        answer.claimed_at = now
    return batch


def _failed(answer, error, channel_name, to, now):
    attempts = answer.attempts + 1
    if attempts >= MAX_SEND_ATTEMPTS:
        log.warning("answer %s on %s failed for good: %s", answer.pk, channel_name, error)
        state = OutboundMessage.State.FAILED
    else:
        state = OutboundMessage.State.PENDING
        delay = dt.timedelta(seconds=30 * 2 ** (attempts - 1))
        retry_answers.using(run_after=now + delay).enqueue(answer.pk)
    OutboundMessage.objects.filter(pk=answer.pk).update(state=state, error=error, attempts=attempts)


@task()
def expire_conversations():
    """Periodic: conversations left idle past their time end politely, unless a message of theirs still
    waits (the worker will handle it, and it decides by the time the citizen sent it)."""
    now = timezone.now()
    for conv in Conversation.objects.filter(expires_at__lte=now).order_by("id")[:500]:
        with transaction.atomic():
            locked = Conversation.objects.select_for_update().filter(pk=conv.pk, expires_at__lte=now).first()
            if locked is None or lookups.unhandled_from(locked.channel, locked.sender, 1):
                continue
            with translation.override(locked.language):
                OutboundMessage.objects.bulk_create(conversation.expire_idle(adapters.get(locked.channel), locked, now))
        send_answers(conv.channel, conv.sender)
