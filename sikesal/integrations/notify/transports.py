"""The Outbox: the sessions a batch of messages shares, whatever their channels (channels/ sends them).

A batch goes through one Outbox: one connection to the mail server, opened at the first message that needs
it and closed at the end, instead of one per message. The gateways' HTTP client is the process's own, kept
from batch to batch with its open connections."""

import functools
import logging
import os

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

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close_mail()

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
        return _http_client()


_clients = {}  # pid -> the process's client (a forked child builds its own: connections are not shared)


def _http_client():
    """One HTTP client per process, thread-safe, its connections to a gateway kept open: a client per batch
    (mostly one WhatsApp answer when the worker keeps up) cost a new TCP connection and 0.6 ms of CPU more
    per message."""
    client = _clients.get(os.getpid())
    if client is None:
        _clients.clear()
        # As many kept open as the worker's sending threads use at once (httpx keeps 20 by default: the
        # others were closed after each answer and opened again for the next).
        kept = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        client = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0), verify=_tls(), limits=kept)
        _clients[os.getpid()] = client
    return client


@functools.cache
def _tls():
    """One TLS context per process: building it reads the whole CA bundle, which cost the worker a third
    of its time when every batch of WhatsApp answers opened its own client."""
    return httpx.create_ssl_context()  # what httpx.Client builds by default
