"""SMS through the HTTP gateway: up to three concatenated parts, GSM-7 when every character allows it.

A reporter's notification on SMS says the number, what happened and the status, the first sentence of
what it asks of the reporter, and the links: with a site address of usual length the receipt takes two
parts and no message more (each part is paid for, and phones show long texts late or in pieces); three
parts are the limit only an unusually long address reaches."""

import math
import re

from sikesal.integrations.notify.channels.base import Capabilities, Contact, GatewayChannel

PARTS = 3
SINGLE_GSM7, PART_GSM7, SINGLE_UCS2, PART_UCS2 = 160, 153, 70, 67
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
    ucs2_max_length = PARTS * PART_UCS2

    def render(self, context):
        return super().render({**context, "ask": first_sentence(context.get("ask") or "")})

    def plain(self, text):
        return text.translate(PLAIN)

    def limit(self, text):
        return self.capabilities.max_length if is_gsm7(text) else self.ucs2_max_length

    def length(self, text):
        """Septets in GSM-7 (an extension character takes two), characters in UCS-2."""
        if is_gsm7(text):
            return len(text) + sum(ch in GSM_EXTENDED for ch in text)
        return len(text.encode("utf-16-le")) // 2  # an emoji takes two UCS-2 units

    def parts(self, text):
        """How many SMS `text` takes: one up to 160 GSM-7 septets (70 UCS-2 characters), else parts of
        153 (67), the rest of each part holding the header that joins them."""
        single, part = (SINGLE_GSM7, PART_GSM7) if is_gsm7(text) else (SINGLE_UCS2, PART_UCS2)
        length = self.length(text)
        return 1 if length <= single else math.ceil(length / part)


def is_gsm7(text):
    return all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text)


def first_sentence(text):
    """The first sentence of a request: the rest (how to answer on the web) does not fit an SMS."""
    return re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0]
