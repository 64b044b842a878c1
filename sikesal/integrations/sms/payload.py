"""Reading an SMS gateway's webhooks into InboundMessage rows: a message in the generic form SIKESAL
documents (docs/channels.md: from, to, text, id, timestamp) or Twilio's (From, To, Body, MessageSid), and a
delivery report in the generic form (id, reference, status, error, to) or Twilio's StatusCallback
(MessageSid, MessageStatus, ErrorCode, To). A number goes to the phone channels' canonical +62 form; the
gateway's fields are kept whole in `raw`."""

import datetime as dt
import re

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sikesal.complaints.intake import without_controls
from sikesal.integrations.inbound.models import InboundMessage
from sikesal.integrations.notify import channels
from sikesal.integrations.notify.channels.base import FAILED_STATUSES

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


def generic_status(form):
    f = _fields(form)
    return _status(f, f.get("id"), f.get("status"), f.get("error"), f.get("reference"), f.get("to"))


def twilio_status(form, reference):
    """Twilio's StatusCallback names no reference of ours: the sender gives it in the callback's URL
    (…/status/?reference=<notification id>), which Twilio signs with the rest."""
    fields = _fields(form)
    status, code = fields.get("MessageStatus"), fields.get("ErrorCode")
    error = f"{status} (Twilio error {code})" if code else ""
    return _status(fields, fields.get("MessageSid"), status, error, reference, fields.get("To"))


def _status(fields, external_id, status, error, reference, recipient):
    missing = [name for name, value in (("id", external_id), ("status", status)) if not value]
    if missing:
        raise MalformedPayload(f"missing {', '.join(missing)}")
    status = status.lower()
    if len(external_id) > 150 or len(status) > 40:
        raise MalformedPayload("the id or the status is longer than an SMS gateway sends")
    if reference and not re.fullmatch(r"[0-9]{1,18}", reference):
        raise MalformedPayload("reference: the notification's number SIKESAL gave the gateway")
    failed = status in FAILED_STATUSES
    return InboundMessage(
        channel=CHANNEL,
        # each status of a message is its own delivery report: "delivered" after "sent" is news, twice is not
        external_id=f"{external_id}:{status}",
        kind=InboundMessage.Kind.STATUS,
        # the number it went to, when the gateway names it: erasing that citizen erases the report too
        sender=address_of(recipient) if recipient else "",
        sent_at=timezone.now(),
        content={
            "id": external_id,
            # in the words the worker reads (OutboundMessage.State): every failure is "failed"
            "status": "failed" if failed else status,
            "error": str(error or (status if failed else ""))[:280],
            "reference": reference or "",
        },
        raw=fields,
    )


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
