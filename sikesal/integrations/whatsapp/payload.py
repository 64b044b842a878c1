"""Reading a Cloud API webhook delivery (Meta's documented shape) into InboundMessage rows: one per message
and one per status, each with its provider id, its sender in the canonical +62 form, the platform's time,
what the conversation reads (`content`) and the provider's object whole (`raw`)."""

import datetime as dt

from sikesal.complaints.intake import without_controls
from sikesal.integrations.inbound.models import InboundMessage
from sikesal.integrations.notify import channels

CHANNEL = "whatsapp"
MEDIA_TYPES = ("image", "document", "video", "audio", "sticker")


class MalformedPayload(ValueError):
    pass


def rows(body):
    # Control characters out, all the way down: PostgreSQL's jsonb refuses a NUL, and no person types one.
    body = without_controls(body)
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        raise MalformedPayload("not a whatsapp_business_account delivery")
    found = []
    try:
        for entry in body.get("entry") or []:
            for change in entry.get("changes") or []:
                if change.get("field") != "messages":
                    continue
                value = change.get("value") or {}
                names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "") for c in value.get("contacts") or []}
                found += [_message(m, names) for m in value.get("messages") or []]
                found += [_status(s) for s in value.get("statuses") or []]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(f"unexpected shape: {exc}") from exc
    return found


def _message(m, names):
    kind = m.get("type")
    content = {"name": str(names.get(m["from"]) or "")[:120]}
    if kind == "text":
        content["text"] = str(m["text"]["body"])
    elif kind in MEDIA_TYPES:
        media = m[kind]
        content["media"] = [{"id": str(media["id"]), "name": str(media.get("filename") or kind)[:200]}]
    elif kind == "location":
        loc = m["location"]
        address = " ".join(str(loc.get(k) or "") for k in ("name", "address")).strip()
        content["location"] = {"latitude": _number(loc["latitude"]), "longitude": _number(loc["longitude"])}
        content["location"]["address_text"] = address[:300]
    elif kind == "interactive":
        reply = m["interactive"].get("list_reply") or m["interactive"].get("button_reply") or {}
        content.update(choice=str(reply.get("id") or ""), text=str(reply.get("title") or ""))
    elif kind == "button":  # a quick-reply button of a template
        content["text"] = str(m["button"].get("text") or "")
    if (m.get("context") or {}).get("id"):
        content["reply_to"] = str(m["context"]["id"])
    return InboundMessage(
        channel=CHANNEL,
        external_id=str(m["id"]),
        kind=InboundMessage.Kind.MESSAGE,
        sender=address_of(m["from"]),
        sent_at=_time(m["timestamp"]),
        content=content,
        raw=m,
    )


def _status(s):
    errors = [e for e in s.get("errors") or [] if isinstance(e, dict)]
    error = "; ".join(_error_text(e) for e in errors)
    return InboundMessage(
        channel=CHANNEL,
        # each status of a message is its own delivery report: "delivered" after "sent" is news, twice is not
        external_id=f"{s['id']}:{s['status']}",
        kind=InboundMessage.Kind.STATUS,
        sender=address_of(s.get("recipient_id") or ""),
        sent_at=_time(s["timestamp"]),
        content={"id": str(s["id"]), "status": str(s["status"]), "error": error[:300], "code": _code(errors)},
        raw=s,
    )


def _error_text(error):
    text = str(error.get("title") or error.get("message") or "")
    return f"{text} (#{error['code']})".strip() if error.get("code") is not None else text


def _code(errors):
    """The first error's code, as the platform numbers it (131047: outside the 24-hour window)."""
    try:
        return int(errors[0]["code"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def address_of(wa_id):
    """A WhatsApp id (the number with its country code, no +) in the phone channels' canonical form."""
    number = "+" + str(wa_id).lstrip("+")
    try:
        return channels.get(CHANNEL).normalise(number)
    except channels.InvalidAddress:
        return number[:254]


def _time(timestamp):
    return dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)


def _number(value):
    number = float(value)
    if number != number:  # NaN
        raise ValueError("not a number")
    return number
