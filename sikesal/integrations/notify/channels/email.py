"""E-mail through Django's mail backends: one session per Outbox, reopened when the server ends it.

Every mail carries a Message-ID of ours, which `send` returns: a notification's is recorded (an
inbound.OutboundMessage about its report), so a reporter's reply to it (In-Reply-To, References) finds the
report, as the city's mailbox reads it (sikesal/integrations/mailbox)."""

import logging
from dataclasses import dataclass
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.template.loader import render_to_string

from sikesal.integrations.notify.channels.base import Capabilities, Channel, Contact, InvalidAddress, Message

log = logging.getLogger("sikesal.notify")


@dataclass(frozen=True)
class MailMessage(Message):
    """A mail that answers another: the Message-ID it replies to and the thread before it."""

    in_reply_to: str = ""
    references: tuple = ()


class Email(Channel):
    name = "email"
    capabilities = Capabilities(contact=Contact.EMAIL, max_length=None, encoding="UTF-8", media=True, templates=False)

    def normalise(self, address):
        address = str(address or "").strip()
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidAddress(f"{address or 'an empty value'} is not an e-mail address") from None
        local, domain = address.rsplit("@", 1)
        return f"{local}@{domain.lower()}"  # the domain is case-blind, the local part need not be

    def render(self, context):
        subject = render_to_string("complaints/mail/update_subject.txt", context).strip()
        return Message(subject, render_to_string("complaints/mail/update_body.txt", context))

    def send(self, outbox, to, message, reference=None):
        """`to` is one address or a list of them (officers' mail goes to several in one message). Returns the
        mail's Message-ID."""
        recipients = [to] if isinstance(to, str) else list(to)
        message_id = make_msgid("sikesal", domain=_our_domain())
        headers = {"Message-ID": message_id}
        if getattr(message, "in_reply_to", ""):
            headers["In-Reply-To"] = message.in_reply_to
            headers["References"] = " ".join([*message.references, message.in_reply_to][-10:])
        session, reused = outbox.mail()
        try:
            session.open()  # a no-op while the session is open
            EmailMessage(message.subject, message.body, None, recipients, connection=session, headers=headers).send()
        except Exception:
            outbox.close_mail()
            if not reused:
                raise
            # The server ended the session it had been keeping (many cap the messages per session): this
            # message goes once more, on a new one.
            return self.send(outbox, to, message, reference)
        if reference is not None and len(recipients) == 1:
            _record(recipients[0], message, message_id, reference)
        return message_id


def _our_domain():
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def _record(to, message, message_id, notification_id):
    from sikesal.integrations.inbound.models import OutboundMessage
    from sikesal.integrations.notify.channels.whatsapp import _complaint_of

    OutboundMessage.objects.create(
        channel=Email.name,
        to=to,
        body=message.body,
        external_id=message_id,
        notification_id=notification_id,
        complaint_id=_complaint_of(notification_id),
        state=OutboundMessage.State.SENT,
    )
