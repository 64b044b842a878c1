"""What the channel-independent conversation (integrations/inbound) needs from SMS: the keyword grammar
("LAPOR …", "CEK …", "BALAS …"), short answers in the GSM-7 alphabet, and no files (an SMS carries none)."""

from django.utils.translation import gettext as _

from sikesal.integrations.inbound.adapters import Adapter, MediaError
from sikesal.integrations.notify import channels
from sikesal.integrations.notify.channels.base import Contact, Message


class SmsAdapter(Adapter):
    name = "sms"
    contact = Contact.PHONE
    converses = False
    keywords = True
    brief = True

    def fetch_media(self, item):
        raise MediaError("an SMS carries no files")

    def help_text(self):
        return _(
            "SIKESAL Kota Jambi. LAPOR <what happened, kelurahan> to report, CEK <number> for its status, BALAS <number> <text> to reply."
        )

    def outgoing(self, answer):
        # A translation's curly quotes would make the whole SMS UCS-2, which holds less than half the text.
        return Message("", channels.get(self.name).plain(answer.body))
