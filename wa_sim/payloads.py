"""What travels on the wire: webhook bodies as the Cloud API shapes them, their signature, ids, and
the one-line summaries the transcript shows.

Bodies are serialised the way the platform does (ASCII only, `/` escaped as `\\/`), so a receiver that
checks the signature against re-serialised JSON instead of the raw bytes fails here as it would live.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

# An 8x8 JPEG: the photo a simulated citizen sends when a test gives no bytes of its own.
SAMPLE_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBk"
    "eFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAIAAgD"
    "ASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKB"
    "kaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZ"
    "mqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQF"
    "BgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5"
    "OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX"
    "2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCjRRRXnn0R/9k="
)


def sample_jpeg(label: str) -> bytes:
    """The sample photo with `label` in a JPEG comment segment: a valid image whose bytes (and sha256)
    differ per message, so two photos are never mistaken for one."""
    comment = label.encode("utf-8")[:60000]
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return SAMPLE_JPEG[:2] + segment + SAMPLE_JPEG[2:]


def sample_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` (ASCII), with a correct cross-reference table."""
    safe = text.encode("ascii", "replace").decode().replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 40 760 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def new_wamid(seed: int, serial: int, phone: str) -> str:
    """A platform-looking message id, reproducible from the seed and the simulator's message counter."""
    digest = hashlib.sha256(f"{seed}:{serial}:{phone}".encode()).digest()[:18]
    return "wamid." + base64.b64encode(b"HBgN" + phone.encode()[-12:] + digest).decode()


def dumps(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def signature(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value: HMAC-SHA256 of the raw body keyed with the app secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def envelope(config, value: dict) -> dict:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": config.display_phone_number, "phone_number_id": config.phone_number_id},
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": config.waba_id, "changes": [{"value": value, "field": "messages"}]}],
    }


def message_value(phone: str, name: str, message: dict) -> dict:
    return {"contacts": [{"profile": {"name": name}, "wa_id": phone}], "messages": [message]}


RE_ENGAGEMENT = {
    "code": 131047,
    "title": "Re-engagement message",
    "message": "Re-engagement message",
    "error_data": {
        "details": "Message failed to send because more than 24 hours have passed since the customer last"
        " replied to this number."
    },
}
UNDELIVERABLE = {
    "title": "Message undeliverable",
    "message": "Message undeliverable",
    "error_data": {"details": "Message Undeliverable."},
}


def status_value(wamid: str, status: str, timestamp: int, phone: str, error: dict | None = None) -> dict:
    item = {"id": wamid, "status": status, "timestamp": str(timestamp), "recipient_id": phone}
    if error is not None:
        item["errors"] = [error]
    else:
        conversation = hashlib.sha256(f"conversation:{phone}".encode()).hexdigest()[:32]
        item["conversation"] = {"id": conversation, "origin": {"type": "service"}}
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    return {"statuses": [item]}


def summary(direction: str, message: dict) -> str:
    """One readable line for the transcript, whichever way the message went."""
    kind = message.get("type", "text")
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    prefix = ""
    context = message.get("context") or {}
    if context.get("id") or context.get("message_id"):
        prefix = f"(reply to {context.get('id') or context.get('message_id')}) "
    if kind == "text":
        return prefix + str(body.get("body", ""))
    if kind in ("image", "document", "audio", "video", "sticker"):
        where = body.get("link") or f"media {body.get('id')}"
        details = ", ".join(str(x) for x in (body.get("filename"), body.get("mime_type"), where) if x)
        caption = f" {body['caption']}" if body.get("caption") else ""
        return f"{prefix}[{kind}: {details}]{caption}"
    if kind == "location":
        place = " ".join(str(body[k]) for k in ("name", "address") if body.get(k))
        return f"{prefix}[location {body.get('latitude')}, {body.get('longitude')}{' ' + place if place else ''}]"
    if kind == "template":
        params = [
            str(p.get("text", p.get(p.get("type", ""), "")))
            for c in body.get("components", []) or []
            for p in c.get("parameters", []) or []
        ]
        language = (body.get("language") or {}).get("code", "")
        return f"{prefix}[template {body.get('name')} ({language})] {' | '.join(params)}".rstrip()
    if kind == "interactive":
        if direction == "in":
            reply = body.get(body.get("type", ""), {})
            return f"{prefix}[chose: {reply.get('title')} ({reply.get('id')})]"
        action = body.get("action") or {}
        choices = [b.get("reply", {}).get("title") for b in action.get("buttons", []) or []]
        choices += [r.get("title") for s in action.get("sections", []) or [] for r in s.get("rows", []) or []]
        text = (body.get("body") or {}).get("text", "")
        return f"{prefix}{text} [{body.get('type')}: {' | '.join(str(c) for c in choices)}]"
    return f"{prefix}[{kind}]"
