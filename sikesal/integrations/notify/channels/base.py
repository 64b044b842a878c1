"""What every channel is: its capabilities, how it checks an address, renders a message, sends it and reads
its provider's delivery reports. A channel is one module with one subclass of `Channel`, and one line in
REGISTRY (channels/__init__.py); notification code asks the registry and never names a channel."""

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from sikesal.complaints.intake import canonical_phone


class Contact:
    """Kinds of address. The values are the attribute names that hold them on a Reporter (and a User)."""

    EMAIL = "email"
    PHONE = "phone"
    PUSH = "push_subscription"


@dataclass(frozen=True)
class Capabilities:
    contact: str  # the Contact kind of its addresses
    max_length: int | None  # characters of the text it carries (None: no practical limit)
    encoding: str  # "UTF-8", or "GSM-7/UCS-2" (SMS: the limit depends on the characters used)
    media: bool  # can carry attachments or images
    templates: bool  # some messages may only go as provider-approved templates (WhatsApp outside 24 h)


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


@dataclass(frozen=True)
class StatusChange:
    """What a provider's delivery report means for one Notification."""

    notification_id: int
    state: str  # a Notification.State value; PENDING: send it again (the delivery report asks for a retry)
    error: str = ""


# A gateway's words for a message that did not arrive (Twilio's "undelivered": the carrier refused it).
FAILED_STATUSES = frozenset({"failed", "undelivered", "rejected", "expired"})


class InvalidAddress(ValueError):
    pass


class DeliveryError(Exception):
    pass


class Channel(ABC):
    name = ""
    capabilities: Capabilities

    @abstractmethod
    def normalise(self, address):
        """The canonical form of `address`, or InvalidAddress saying what is wrong with it."""

    @abstractmethod
    def render(self, context):
        """The Message for one timeline event (context: notify/tasks.py `_context`)."""

    def settings(self):
        """This channel's entry in SIKESAL_CHANNELS (sikesal/settings.py)."""
        return settings.SIKESAL_CHANNELS.get(self.name, {})

    def status_change(self, payload):
        """A provider's delivery report in the gateway shape (docs/operations.md, "Channels"):
        {"reference": "<notification id>", "status": "delivered" | "failed" | …, "error": "…"}.
        Returns a StatusChange, or None for a report that changes nothing: queued, sent, …, or one that names
        no notification of this channel (a conversation's answer goes to the gateway with no reference)."""
        from sikesal.integrations.notify.models import Notification

        try:
            reference = int(payload.get("reference"))
        except (TypeError, ValueError):
            return None
        status = str(payload.get("status") or "").lower()
        if status in FAILED_STATUSES:
            error = str(payload.get("error") or status)[:280]
            change = StatusChange(reference, Notification.State.FAILED, f"{self.name}: {error}")
        elif status in {"delivered", "read"}:
            change = StatusChange(reference, Notification.State.SENT)
        else:
            return None
        # A reference the gateway got wrong must not touch another channel's notification.
        return change if Notification.objects.filter(pk=reference, channel=self.name).exists() else None


class PhoneChannel(Channel):
    """A channel whose addresses are phone numbers, in one canonical form: +62 and the number for Indonesian
    mobile numbers (08…, 628…, +628…), or an international number written with its + as it is."""

    def normalise(self, address):
        try:
            return canonical_phone(address)  # the same form the block list knows numbers by
        except ValueError as exc:
            raise InvalidAddress(str(exc)) from None

    def render(self, context):
        """The short text (notify/short.txt) within the channel's length: when it is too long, the request to
        the reporter is shortened first, so the tracking number and the links stay whole."""
        text = self.plain(render_to_string("notify/short.txt", context).strip())
        over = self.length(text) - self.limit(text)
        ask = context.get("ask") or ""
        if over > 0 and ask:
            kept = ask[: max(0, len(ask) - over - len(ELLIPSIS))].rstrip()
            shorter = {**context, "ask": kept + ELLIPSIS if kept else ""}
            text = self.plain(render_to_string("notify/short.txt", shorter).strip())
        limit = self.limit(text)
        if self.length(text) > limit:  # nothing left to shorten but the links: cut at the end
            while self.length(text) > limit - len(ELLIPSIS):
                text = text[:-1]
            text = text.rstrip() + ELLIPSIS
        return Message("", text)

    def plain(self, text):
        """The text as this channel carries it best (SMS: typographic characters its alphabet lacks)."""
        return text

    def limit(self, text):
        return self.capabilities.max_length

    def length(self, text):
        return len(text)


ELLIPSIS = "..."  # three dots, not "…": the GSM-7 alphabet has no ellipsis


class GatewayChannel(PhoneChannel):
    """A text channel behind an HTTP gateway: POST JSON {to, message, channel, reference} with
    `Authorization: Bearer TOKEN`; without a gateway URL (the demo, the tests) a JSON-lines file under
    DATA_DIR/outbox."""

    def send(self, outbox, to, message, reference=None):
        gateway = self.settings()
        url, token = gateway.get("gateway_url"), gateway.get("token")
        if not url:
            _append_to_file(self.name, to, message.body)
            return
        payload = {"to": to, "message": message.body, "channel": self.name}
        if reference is not None:
            payload["reference"] = str(reference)
        try:
            response = outbox.http().post(
                url, json=payload, headers={"Authorization": f"Bearer {token}"} if token else {}
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name} gateway unreachable: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"{self.name} gateway answered {response.status_code}")


def _append_to_file(channel, to, body):
    outbox = settings.DATA_DIR / "outbox"
    outbox.mkdir(exist_ok=True)
    line = {"at": timezone.now().isoformat(), "channel": channel, "to": to, "message": body}
    with open(outbox / f"{channel}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
