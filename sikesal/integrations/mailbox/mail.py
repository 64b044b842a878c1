"""Reading one e-mail (RFC 822 bytes, as a mail server or relay hands it on) into an InboundMessage and its
attachments. A new mail is a whole report (subject: title, text: what happened); a reply to one of our
mails (In-Reply-To, References) or a mail whose subject names a tracking number is about that report. The
quoted history of a reply is cut off, so only what the citizen wrote becomes their comment."""

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags

from sikesal.complaints.intake import without_controls
from sikesal.integrations.inbound.conversation import tracking_number_in
from sikesal.integrations.inbound.models import InboundMessage
from sikesal.integrations.notify import channels

CHANNEL = "email"
MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
# "On Mon, 3 Nov 2026 at 10:00, SIKESAL <…> wrote:" (a mail program may fold it over two lines) and the
# Indonesian "Pada … menulis:" open the quoted history of a reply.
QUOTE_INTRO_RE = re.compile(r"^\s*(?:On\s.*\swrote|Pada\s.*\smenulis)\s*:\s*$", re.IGNORECASE | re.DOTALL)
HISTORY_MARKERS = {"-----original message-----", "-----pesan asli-----", "-- "}
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
MAX_TEXT = 20000
MAX_ATTACHMENTS = 10


class MalformedMail(ValueError):
    pass


@dataclass
class Mail:
    row: InboundMessage
    attachments: list = field(default_factory=list)  # (file name, bytes)
    automatic: bool = False  # an auto-reply, a bounce or a list: answering it could loop


def read(raw):
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        sender = msg["From"].addresses[0] if msg["From"] and msg["From"].addresses else None
        subject = str(msg["Subject"] or "")
        sent_at = _time(msg["Date"])
        body = _text(msg)
        attachments = [(_name(part), _bytes(part)) for part in msg.iter_attachments()][:MAX_ATTACHMENTS]
        headers = [[key, str(value)] for key, value in msg.items()][:100]
    except MalformedMail:
        raise
    except Exception as exc:  # the email package raises assorted errors on a hostile message
        raise MalformedMail(f"unreadable message: {type(exc).__name__}") from exc
    if sender is None or not sender.addr_spec:
        raise MalformedMail("the message has no From address")
    try:
        address = channels.get(CHANNEL).normalise(sender.addr_spec)
    except channels.InvalidAddress as exc:
        raise MalformedMail(str(exc)) from exc
    message_id = _ids(msg["Message-ID"])[:1] or ["sha256:" + hashlib.sha256(raw).hexdigest()]
    in_reply_to = (_ids(msg["In-Reply-To"]) or [""])[0]
    references = _ids(msg["References"])[-20:]
    about = tracking_number_in(subject)
    subject, name = without_controls(" ".join(subject.split()))[:300], without_controls(sender.display_name)[:120]
    text = without_controls(without_quoted(body))[:MAX_TEXT]
    content = {"text": text, "name": name, "subject": subject, "references": references}
    if in_reply_to:
        content["reply_to"] = in_reply_to
    if about:
        content["about"] = about
    if not (in_reply_to or references or about):
        content["whole_report"] = True
    raw_fields = {
        "headers": without_controls(headers),
        "text": without_controls(body)[:MAX_TEXT],
        "attachments": [{"name": without_controls(n)[:200], "size": len(d)} for n, d in attachments],
    }
    row = InboundMessage(
        channel=CHANNEL,
        external_id=message_id[0][:200],
        kind=InboundMessage.Kind.MESSAGE,
        sender=address,
        sent_at=sent_at,
        content=content,
        raw=raw_fields,
    )
    return Mail(row, attachments, automatic=_automatic(msg, address))


def without_quoted(text):
    """What the citizen wrote, without the history a reply quotes below it."""
    lines = str(text or "").replace("\r\n", "\n").split("\n")
    kept = []
    for i, line in enumerate(lines):
        if line.strip().lower() in HISTORY_MARKERS or line == "-- ":
            break
        folded = line + " " + lines[i + 1] if i + 1 < len(lines) else line
        if QUOTE_INTRO_RE.match(line) or (re.match(r"\s*(?:On|Pada)\s", line) and QUOTE_INTRO_RE.match(folded)):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def _automatic(msg, address):
    auto = str(msg["Auto-Submitted"] or "no").strip().lower()
    precedence = str(msg["Precedence"] or "").strip().lower()
    local = address.split("@", 1)[0].lower()
    ours = channels.get(CHANNEL).normalise(_our_address())
    return (
        auto != "no"
        or precedence in AUTOMATIC_PRECEDENCE
        or local in {"mailer-daemon", "postmaster"}
        or address == ours
    )


def _our_address():
    from email.utils import parseaddr

    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "sikesal@localhost"


def _ids(header):
    return MESSAGE_ID_RE.findall(str(header or ""))


def _time(header):
    """The Date the mail program wrote (never later than now: a clock ahead must not jump the queue)."""
    now = timezone.now()
    when = getattr(header, "datetime", None) if header else None
    if when is None:
        return now
    if timezone.is_naive(when):
        when = timezone.make_aware(when, dt.UTC)
    return min(when, now)


def _text(msg):
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    return strip_tags(content) if part.get_content_subtype() == "html" else content


def _name(part):
    return str(part.get_filename() or "attachment")


def _bytes(part):
    content = part.get_content()
    return content.encode() if isinstance(content, str) else bytes(content)
