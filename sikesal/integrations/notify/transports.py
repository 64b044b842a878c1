"""The Outbox: the sessions a batch of messages shares, whatever their channels (channels/ sends them).

A batch goes through one Outbox: one connection to the mail server and one HTTP client for the gateways,
opened at the first message that needs them and closed at the end, instead of one per message."""

import functools
import logging

import httpx
from django.core.mail import get_connection

from sikesal.integrations.notify import channels
from sikesal.integrations.notify.channels.base import Message

log = logging.getLogger("sikesal.notify")


def send_to_contact(kind, to, subject, body):
    """One message on its own, to one address (or, for e-mail, several) of a Contact kind, on the channel
    the registry gives that kind. Raises InvalidAddress for an address the channel refuses."""
    channel = channels.for_contact(kind)
    to = channel.normalise(to) if isinstance(to, str) else [channel.normalise(address) for address in to]
    with Outbox() as outbox:
        outbox.send(channel, to, Message(subject, body))


class Outbox:
    def __init__(self):
        self._mail = None
        self._http = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close_mail()
        if self._http is not None:
            self._http.close()

    def send(self, channel, to, message, reference=None):
        """`reference` (a Notification's id) goes to the gateway, which names it in its delivery reports."""
        channel.send(self, to, message, reference=reference)

    def mail(self):
        """(the mail session, whether it was open already)."""
        reused = self._mail is not None
        if not reused:
            self._mail = get_connection()
        return self._mail, reused

    def close_mail(self):
        """Close the mail session; a server that errs on QUIT has still taken the messages it accepted (and
        their outcomes must still be written, or they would be sent again)."""
        mail, self._mail = self._mail, None
        if mail is not None:
            try:
                mail.close()
            except Exception:
                log.warning("closing the mail connection failed", exc_info=True)

    def http(self):
        if self._http is None:
            self._http = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0), verify=_tls())
        return self._http


@functools.cache
def _tls():
    """One TLS context per process: building it reads the whole CA bundle, which cost the worker a third
    of its time when every batch of WhatsApp answers opened its own client."""
    return httpx.create_ssl_context()  # what httpx.Client builds by default
