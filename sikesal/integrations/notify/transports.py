"""Transports: e-mail through Django's backends; SMS/WhatsApp through an HTTP gateway or, in the demo
and tests, a JSON-lines file under the data dir. Each raises on failure so the task can retry.

A batch of messages goes through one `Outbox`: one connection to the mail server and one HTTP client for
the gateway, opened at the first message and closed at the end, instead of one per message."""

import json
import logging

import httpx
from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.utils import timezone

log = logging.getLogger("sikesal.notify")


class DeliveryError(Exception):
    pass


def _gateway(channel):
    url = getattr(settings, f"SIKESAL_{channel.upper()}_GATEWAY_URL", "")
    token = getattr(settings, f"SIKESAL_{channel.upper()}_GATEWAY_TOKEN", "")
    return url, token


def send(channel, to, subject, body):
    """One message on its own."""
    with Outbox() as outbox:
        outbox.send(channel, to, subject, body)


class Outbox:
    def __init__(self):
        self._mail = None
        self._http = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._close_mail()
        if self._http is not None:
            self._http.close()

    def _send_mail(self, to, subject, body):
        reused = self._mail is not None
        if not reused:
            self._mail = get_connection()
        try:
            self._mail.open()  # a no-op while the session is open
            send_mail(subject, body, None, [to], connection=self._mail)
        except Exception:
            self._close_mail()
            if not reused:
                raise
            # The server ended the session it had been keeping (many cap the messages per session): this
            # message goes once more, on a new one.
            self._send_mail(to, subject, body)

    def _close_mail(self):
        """Close the mail session; a server that errs on QUIT has still taken the messages it accepted (and
        their outcomes must still be written, or they would be sent again)."""
        mail, self._mail = self._mail, None
        if mail is not None:
            try:
                mail.close()
            except Exception:
                log.warning("closing the mail connection failed", exc_info=True)

    def send(self, channel, to, subject, body):
        if channel == "email":
            self._send_mail(to, subject, body)
            return
        url, token = _gateway(channel)
        if not url:
            _append_to_file(channel, to, body)
            return
        if self._http is None:
            self._http = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))
        try:
            response = self._http.post(
                url,
                json={"to": to, "message": body, "channel": channel},
                headers={"Authorization": f"Bearer {token}"} if token else {},
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{channel} gateway unreachable: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"{channel} gateway answered {response.status_code}")


def _append_to_file(channel, to, body):
    outbox = settings.DATA_DIR / "outbox"
    outbox.mkdir(exist_ok=True)
    line = {"at": timezone.now().isoformat(), "channel": channel, "to": to, "message": body}
    with open(outbox / f"{channel}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
