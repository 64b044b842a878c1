"""E-mail through Django's mail backends: one session per Outbox, reopened when the server ends it."""

import logging

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.template.loader import render_to_string

from sikesal.integrations.notify.channels.base import Capabilities, Channel, Contact, InvalidAddress, Message

log = logging.getLogger("sikesal.notify")


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
        """`to` is one address or a list of them (officers' mail goes to several in one message)."""
        recipients = [to] if isinstance(to, str) else list(to)
        session, reused = outbox.mail()
        try:
            session.open()  # a no-op while the session is open
            send_mail(message.subject, message.body, None, recipients, connection=session)
        except Exception:
            outbox.close_mail()
            if not reused:
                raise
            # The server ended the session it had been keeping (many cap the messages per session): this
            # message goes once more, on a new one.
            self.send(outbox, to, message)
