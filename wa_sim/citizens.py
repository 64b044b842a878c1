"""The citizen side: turn `/__sim/send` specs into the messages a phone would send, store their
media, and queue their signed webhooks."""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import fields

from .config import Delivery
from .errors import SimError
from .payloads import envelope, message_value, sample_jpeg, sample_pdf, summary

KINDS = ("text", "location", "image", "document", "button_reply", "list_reply")
DELIVERY_OPTIONS = {f.name for f in fields(Delivery)}
MAX_BURST = 10_000


def phone_number(value) -> str:
    phone = re.sub(r"[\s+\-()]", "", str(value or ""))
    if not phone.isdigit() or not 8 <= len(phone) <= 15:
        raise SimError(400, "from must be a phone number with country code, such as 6281234567890")
    return phone


def delivery_options(sim, spec: dict) -> Delivery:
    try:
        return sim.config.delivery.updated({k: v for k, v in spec.items() if k in DELIVERY_OPTIONS})
    except ValueError as exc:
        raise SimError(400, str(exc)) from None


def _bytes(spec: dict, default: bytes) -> bytes:
    if spec.get("base64") is None:
        return default
    try:
        return base64.b64decode(spec["base64"], validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise SimError(400, "base64 is not valid base64") from None


def build(sim, spec: dict) -> tuple[str, dict]:
    """(wamid, webhook payload) for one citizen message; the message is in the transcript from now."""
    if not isinstance(spec, dict):
        raise SimError(400, "a message must be a JSON object")
    phone = phone_number(spec.get("from"))
    name = str(spec.get("name") or f"Warga {phone[-4:]}")
    given = [k for k in KINDS if spec.get(k) is not None]
    if len(given) != 1:
        raise SimError(400, f"give exactly one of: {', '.join(KINDS)}")
    kind = given[0]
    value = spec[kind]
    wamid = sim.next_wamid(phone)
    message = {"from": phone, "id": wamid, "timestamp": str(sim.message_timestamp(phone))}
    if spec.get("reply_to"):
        message["context"] = {"from": sim.config.display_phone_number, "id": str(spec["reply_to"])}
    if kind == "text":
        if not isinstance(value, str) or not value:
            raise SimError(400, "text must be a non-empty string")
        message.update(type="text", text={"body": value})
    elif kind == "location":
        if not isinstance(value, dict) or not all(
            isinstance(value.get(k), (int, float)) for k in ("latitude", "longitude")
        ):
            raise SimError(400, "location needs numeric latitude and longitude")
        location = {
            k: value[k] for k in ("latitude", "longitude", "name", "address", "url") if value.get(k) is not None
        }
        message.update(type="location", location=location)
    elif kind in ("image", "document"):
        value = value if isinstance(value, dict) else {}
        if kind == "image":
            data = _bytes(value, sample_jpeg(f"{name} {wamid}"))
            mime = value.get("mime_type", "image/jpeg")
            filename = None
        else:
            data = _bytes(value, sample_pdf(value.get("caption") or f"Dokumen dari {name}"))
            mime = value.get("mime_type", "application/pdf")
            filename = value.get("filename", "dokumen.pdf")
        media = sim.store.add_media(data, mime, filename)
        content = {"mime_type": mime, "sha256": media["sha256"], "id": media["id"]}
        if filename:
            content["filename"] = filename
        if value.get("caption"):
            content["caption"] = value["caption"]
        message.update(type=kind, **{kind: content})
    else:
        if not isinstance(value, dict) or not value.get("id") or not value.get("title"):
            raise SimError(400, f"{kind} needs an id and a title")
        reply = {k: str(value[k]) for k in ("id", "title", "description") if value.get(k)}
        message.update(type="interactive", interactive={"type": kind, kind: reply})
    sim.store.add_message(wamid, "in", phone, name, message["type"], summary("in", message), message)
    return wamid, envelope(sim.config, message_value(phone, name, message))


def send(sim, spec: dict) -> dict:
    options = delivery_options(sim, spec)
    wamid, payload = build(sim, spec)
    jobs = sim.webhook_jobs("message", payload, [wamid], options, options.delay, None, sim.rng("send", wamid))
    sim.deliverer.enqueue(jobs)
    return {"wamid": wamid, **_wait(jobs, spec)}


def burst(sim, spec: dict) -> dict:
    """Many messages at once; with out_of_order their webhooks (copies included) go out shuffled. With
    `rate` (messages a second) they are due one after the other at that pace, as citizens' traffic arrives,
    instead of all at once (as fast as the deliverers go)."""
    if not isinstance(spec, dict):
        raise SimError(400, "body must be a JSON object")
    options = delivery_options(sim, spec)
    messages = spec.get("messages")
    if messages is None:
        count, phones = spec.get("count"), spec.get("phones", 1)
        if not isinstance(count, int) or not isinstance(phones, int) or not 1 <= phones <= count:
            raise SimError(400, "give messages, or count and phones (1 <= phones <= count)")
        first = int(spec.get("first_phone", 6281300000000))
        messages = [
            {"from": str(first + i % phones), "text": f"{spec.get('text', 'Pesan uji')} {i + 1}"} for i in range(count)
        ]
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_BURST:
        raise SimError(400, f"messages must be a list of 1 to {MAX_BURST} messages")
    rate = spec.get("rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0):
        raise SimError(400, "rate must be a positive number of messages a second")
    built = [build(sim, m) for m in messages]
    rng = sim.rng("burst", built[0][0])
    jobs = []
    for i, (wamid, payload) in enumerate(built):
        due = options.delay + (i / rate if rate else 0.0)
        jobs += sim.webhook_jobs("message", payload, [wamid], options, due, None, rng)
    if options.out_of_order:
        # shuffle the order, keeping each copy's own delay
        delays = [d for d, _ in jobs]
        picked = [j for _, j in jobs]
        rng.shuffle(picked)
        jobs = list(zip(sorted(delays), picked, strict=True))
    sim.deliverer.enqueue(jobs)
    return {"wamids": [w for w, _ in built], **_wait(jobs, spec)}


def _wait(jobs: list, spec: dict) -> dict:
    """With `wait` (the default) answer only when every webhook is delivered or given up."""
    if spec.get("wait", True) is False:
        return {}
    timeout = spec.get("timeout", 60)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise SimError(400, "timeout must be a number of seconds")
    deadline = time.monotonic() + timeout
    for _, job in jobs:
        job.done.wait(max(0.0, deadline - time.monotonic()))
    return {
        "delivered": all(j.done.is_set() and 200 <= (j.last_status or 0) < 300 for _, j in jobs),
        "deliveries": [j.result() for _, j in jobs],
    }
