"""SMS through the HTTP gateway: up to three concatenated parts, GSM-7 when every character allows it."""

from sikesal.integrations.notify.channels.base import Capabilities, Contact, GatewayChannel

PARTS = 3
# GSM 03.38: the basic alphabet (one septet each) and its extension table (two: escape and the character).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")
# Typography a template or a translation brings that GSM-7 lacks: one such character would make the whole
# message UCS-2, which holds less than half the text.
PLAIN = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "·": "-", "…": "..."})


class Sms(GatewayChannel):
    name = "sms"
    # A concatenated part holds 153 GSM-7 septets, or 67 UCS-2 characters when any character is outside GSM-7.
    capabilities = Capabilities(
        contact=Contact.PHONE, max_length=PARTS * 153, encoding="GSM-7/UCS-2", media=False, templates=False
    )
    ucs2_max_length = PARTS * 67

    def plain(self, text):
        return text.translate(PLAIN)

    def limit(self, text):
        return self.capabilities.max_length if is_gsm7(text) else self.ucs2_max_length

    def length(self, text):
        """Septets in GSM-7 (an extension character takes two), characters in UCS-2."""
        if is_gsm7(text):
            return len(text) + sum(ch in GSM_EXTENDED for ch in text)
        return len(text.encode("utf-16-le")) // 2  # an emoji takes two UCS-2 units


def is_gsm7(text):
    return all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text)
