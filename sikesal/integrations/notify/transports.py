"""Transports: e-mail through Django's backends; SMS/WhatsApp through an HTTP gateway or, in the demo
and tests, a JSON-lines file under the data dir. Each raises on failure so the task can retry."""

import json

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone


class DeliveryError(Exception):
    pass


def _gateway(channel):
    url = getattr(settings, f"SIKESAL_{channel.upper()}_GATEWAY_URL", "")
    token = getattr(settings, f"SIKESAL_{channel.upper()}_GATEWAY_TOKEN", "")
    return url, token


def send(channel, to, subject, body):
    if channel == "email":
        send_mail(subject, body, None, [to])
        return
    url, token = _gateway(channel)
    if not url:
        outbox = settings.DATA_DIR / "outbox"
        outbox.mkdir(exist_ok=True)
        line = {"at": timezone.now().isoformat(), "channel": channel, "to": to, "message": body}
        with open(outbox / f"{channel}.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        return
    try:
        response = httpx.post(
            url,
            json={"to": to, "message": body, "channel": channel},
            headers={"Authorization": f"Bearer {token}"} if token else {},
            timeout=httpx.Timeout(10.0, connect=5.0),
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{channel} gateway unreachable: {exc}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"{channel} gateway answered {response.status_code}")
