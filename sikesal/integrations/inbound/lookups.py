"""The looks made for every message a channel brings, by the webhook and by the worker, written out in SQL.

Each is a one-table query on an index (inbound_queue, inbound_waiting, outbound_queue, a unique key) that the database
answers in about 10 µs, but that Django's query compiler spent 200-250 µs building, every time: five of them per message
were most of what a WhatsApp message cost the worker besides the conversation itself (bench/whatsapp.py).
The ORM query each one stands for is in its docstring. Names come from the models (quoted); every value
is a parameter, prepared as the ORM prepares it (complaints/rawsql.py)."""

from django.db import connection

from sikesal.complaints import rawsql
from sikesal.integrations.inbound import adapters
from sikesal.integrations.inbound.models import Conversation, InboundMessage, OutboundMessage

State = OutboundMessage.State


def _names(model, *fields):
    quote = connection.ops.quote_name
    return quote(model._meta.db_table), {f: quote(model._meta.get_field(f).column) for f in fields}


def _when(model, field, value):
    return rawsql.prepare(model._meta.get_field(field), value)


def unhandled_from(channel, sender, limit):
    """`InboundMessage.objects.filter(processed_at=None, channel=…, sender=…).defer("raw")
    .order_by("sent_at", "id")[:limit]`: the sender's messages waiting, oldest first, without the provider's
    whole delivery (kept for the record only)."""
    table, c = _names(InboundMessage, "id", "channel", "sender", "processed_at", "sent_at")
    columns = ", ".join(
        connection.ops.quote_name(f.column) for f in InboundMessage._meta.concrete_fields if f.name != "raw"
    )
    sql = (
        f"SELECT {columns} FROM {table} WHERE {c['channel']} = %s AND {c['sender']} = %s"  # noqa: S608 (our names)
        f" AND {c['processed_at']} IS NULL ORDER BY {c['sent_at']}, {c['id']} LIMIT %s"
    )
    return list(InboundMessage.objects.raw(sql, [channel, sender, limit]))


def mark_handled(pks, now):
    """`InboundMessage.objects.filter(pk__in=pks, processed_at=None).update(processed_at=now)`, in the
    transaction that handles them: on PostgreSQL it locks their rows, so another worker waits and then finds
    them handled. Returns how many were still unhandled."""
    if not pks:
        return 0
    table, c = _names(InboundMessage, "id", "processed_at")
    marks = ", ".join(["%s"] * len(pks))
    sql = f"UPDATE {table} SET {c['processed_at']} = %s WHERE {c['id']} IN ({marks}) AND {c['processed_at']} IS NULL"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [_when(InboundMessage, "processed_at", now), *pks])
        return cursor.rowcount


def _unsent_exists(channel, to, condition, params):
    table, c = _names(OutboundMessage, "channel", "to", "external_id")
    sql = (
        f"SELECT 1 FROM {table} WHERE {c['channel']} = %s AND {c['to']} = %s"  # noqa: S608 (our names)
        f" AND {c['external_id']} IS NULL AND ({condition}) LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [channel, to, *params])
        return cursor.fetchone() is not None


def _state_and_claim():
    _, c = _names(OutboundMessage, "id", "state", "claimed_at")
    return c["id"], c["state"], c["claimed_at"]


def waiting_to_send(channel, to, excluding=()):
    """`OutboundMessage.objects.filter(channel=…, to=…, external_id=None, state__in=[PENDING, SENDING])
    .exclude(pk__in=excluding).exists()`: is an answer to `to` not yet sent (or being sent)?"""
    pk, state, _ = _state_and_claim()
    condition = f"{state} IN (%s, %s)"
    params = [State.PENDING.value, State.SENDING.value]
    if excluding:
        condition += f" AND {pk} NOT IN ({', '.join(['%s'] * len(excluding))})"
        params += list(excluding)
    return _unsent_exists(channel, to, condition, params)


def claimable(channel, to, lease_start):
    """`… filter(Q(state=PENDING) | Q(state=SENDING, claimed_at__lt=lease_start), channel=…, to=…,
    external_id=None).exists()`: an answer to `to` waiting, or claimed by a worker that must have died."""
    _, state, claimed_at = _state_and_claim()
    condition = f"{state} = %s OR ({state} = %s AND {claimed_at} < %s)"
    params = [State.PENDING.value, State.SENDING.value, _when(OutboundMessage, "claimed_at", lease_start)]
    return _unsent_exists(channel, to, condition, params)


def in_flight(channel, to, lease_start):
    """`… filter(state=SENDING, claimed_at__gte=lease_start, channel=…, to=…, external_id=None).exists()`:
    is a worker sending to `to` now?"""
    _, state, claimed_at = _state_and_claim()
    condition = f"{state} = %s AND {claimed_at} >= %s"
    return _unsent_exists(
        channel, to, condition, [State.SENDING.value, _when(OutboundMessage, "claimed_at", lease_start)]
    )


def conversation_of(channel, sender):
    """`Conversation.objects.select_for_update().filter(channel=…, sender=…).first()`: the sender's
    conversation (unique per channel and sender), its row locked on PostgreSQL."""
    table, c = _names(Conversation, "channel", "sender")
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT * FROM {table} WHERE {c['channel']} = %s AND {c['sender']} = %s{lock}"  # noqa: S608 (our names)
    return next(iter(Conversation.objects.raw(sql, [channel, sender])), None)


def mark_sent(answer):
    """`OutboundMessage.objects.filter(pk=…).update(state=…, external_id=…, attempts=…)` from the answer."""
    table, c = _names(OutboundMessage, "id", "state", "external_id", "attempts")
    sql = f"UPDATE {table} SET {c['state']} = %s, {c['external_id']} = %s, {c['attempts']} = %s WHERE {c['id']} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [answer.state, answer.external_id, answer.attempts, answer.pk])


def senders_waiting(limit):
    """Up to `limit` senders with messages not yet handled, the one whose oldest has waited longest first
    (on the inbound_waiting index: only the waiting messages are in it). Grouped, so that one sender with
    hundreds waiting takes one place, not all of them. Only the channels whose apps are installed: a
    channel switched off keeps its waiting messages, untouched, until it is on again (the worker would
    otherwise fail on them at every look, four times a second)."""
    channels = adapters.names()
    if not channels:
        return []
    table, c = _names(InboundMessage, "channel", "sender", "processed_at", "received_at")
    sql = (
        f"SELECT {c['channel']}, {c['sender']} FROM {table} WHERE {c['processed_at']} IS NULL"  # noqa: S608
        f" AND {c['channel']} IN ({', '.join(['%s'] * len(channels))})"
        f" GROUP BY {c['channel']}, {c['sender']} ORDER BY MIN({c['received_at']}) LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*channels, limit])
        return cursor.fetchall()


def abandoned(lease_start):
    """`OutboundMessage.objects.filter(state=SENDING, claimed_at__lt=lease_start).values_list("channel",
    "to").distinct()`: who has answers a worker took to send before `lease_start` and never wrote sent. The
    state is written in the SQL, not a parameter: SQLite uses the partial index only for a literal match."""
    table, c = _names(OutboundMessage, "channel", "to", "state", "claimed_at")
    sql = (
        f"SELECT DISTINCT {c['channel']}, {c['to']} FROM {table}"  # noqa: S608 (our names)
        f" WHERE {c['state']} = '{State.SENDING.value}' AND {c['claimed_at']} < %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_when(OutboundMessage, "claimed_at", lease_start)])
        return cursor.fetchall()
