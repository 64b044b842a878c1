"""What the channel-independent conversation (integrations/inbound) needs from e-mail: attachments (kept in
storage by the webhook until the message is handled), and answers that reply in the citizen's thread."""

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from sikesal.integrations.inbound.adapters import Adapter, MediaError
from sikesal.integrations.notify.channels.base import Contact
from sikesal.integrations.notify.channels.email import MailMessage

DEFAULT_SUBJECT = "SIKESAL Kota Jambi"


class MailboxAdapter(Adapter):
    name = "email"
    contact = Contact.EMAIL
    converses = False

    def fetch_media(self, item):
        try:
            with default_storage.open(item["path"], "rb") as fh:
                return item.get("name") or "attachment", fh.read()
        except (OSError, KeyError) as exc:
            raise MediaError(str(exc)) from exc

    def release_media(self, message):
        for item in message.content.get("media", []):
            default_storage.delete(item["path"])

    def help_text(self):
        return _(
            "To file a report, send a new e-mail (not a reply): the subject is its title, the text says what "
            "happened and in which kelurahan, photos may be attached. To add to a report, reply to one of "
            "our e-mails about it, from the address it was filed with."
        )

    def outgoing(self, answer):
        inbound = answer.reply_to
        subject = reply_subject(inbound.content.get("subject", "") if inbound else "")
        number = answer.complaint.tracking_number if answer.complaint_id else ""
        if number and number not in subject:
            subject = f"{subject} [{number}]"  # a reply to it finds the report by its subject too
        if inbound is None:
            return MailMessage(subject, answer.body)
        references = tuple(inbound.content.get("references", []))
        return MailMessage(subject, answer.body, in_reply_to=inbound.external_id, references=references)


def reply_subject(subject):
    subject = " ".join(str(subject or "").split())
    if not subject:
        return DEFAULT_SUBJECT
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"
