"""Reading an SMS gateway's inbound webhook into an InboundMessage: the generic form SIKESAL documents
(docs/channels.md: from, to, text, id, timestamp) and Twilio's (From, To, Body, MessageSid). The sender
goes to the phone channels' canonical +62 form; the gateway's fields are kept whole in `raw`."""

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sikesal.complaints.intake import without_controls
from sikesal.integrations.inbound.models import InboundMessage
from sikesal.integrations.notify import channels

CHANNEL = "sms"
MAX_TEXT = 2000  # a long SMS is ten parts or so; anything far longer is not an SMS


class MalformedPayload(ValueError):
    pass


def generic(form):
    fields = _fields(form)
    return _row(fields, fields.get("from"), fields.get("id"), fields.get("text"), _time(fields.get("timestamp")))


def twilio(form):
    # Twilio gives no time of sending: the time it reached us orders the sender's messages.
    fields = _fields(form)
    return _row(fields, fields.get("From"), fields.get("MessageSid"), fields.get("Body"), timezone.now())


def _fields(form):
    return without_controls({key: form.get(key, "") for key in form})


def _row(fields, sender, external_id, text, sent_at):
    missing = [name for name, value in (("sender", sender), ("id", external_id)) if not value]
    if missing or text is None:
        raise MalformedPayload(f"missing {', '.join(missing) or 'text'}")
    if len(text) > MAX_TEXT or len(external_id) > 200:
        raise MalformedPayload("the text or the id is longer than an SMS gateway sends")
    return InboundMessage(
        channel=CHANNEL,
        external_id=external_id,
        kind=InboundMessage.Kind.MESSAGE,
        sender=address_of(sender),
        sent_at=sent_at,
        content={"text": text},
        raw=fields,
    )


def address_of(number):
    try:
        return channels.get(CHANNEL).normalise(number)
    except channels.InvalidAddress:  # a short code or a name: kept as written (answers to it fail visibly)
        return str(number)[:254]


def _time(value):
    """Unix seconds or ISO 8601 (with its offset); the time it reached us when the gateway gives none."""
    if not value:
        return timezone.now()
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise MalformedPayload("timestamp: unix seconds or ISO 8601")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)
