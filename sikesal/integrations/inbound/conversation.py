"""The conversation that files, tracks and answers a report by message, the same on every messaging channel
(WhatsApp, SMS, e-mail): what happened -> where -> photos -> anonim/rahasia -> a summary to confirm -> the
report, filed through the one door (complaints/submission.py). Commands work at any point: "cek <number>",
"balas <number> <text>" (or a reply to one of our messages about a report, or an e-mail about its number),
"batal". A report can also come whole in one message: "lapor <text>" on a channel with keywords (SMS), or
a new e-mail; then only the kelurahan is asked for, when the text does not name it (inbound/places.py).

`handle` runs in the transaction that marks the citizen's message handled: everything it writes (the
conversation, the report, the reply on a report, the answers to send) is written once or not at all."""

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from sikesal.catalogue.models import Area, AreaLevel
from sikesal.complaints import lifecycle, policy, senders, submission
from sikesal.complaints.actions import Action
from sikesal.complaints.errors import InvalidInput, LifecycleError
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.integrations.inbound import language, lookups, places
from sikesal.integrations.inbound.models import Conversation, OutboundMessage
from sikesal.integrations.notify import channels
from sikesal.privacy import notice


class Step:
    DESCRIBE = "describe"
    WHERE = "where"
    KELURAHAN = "kelurahan"
    AREA_NAME = "area_name"  # a report filed in one message waits for the name of its kelurahan
    PHOTOS = "photos"
    PRIVACY = "privacy"
    CONFIRM = "confirm"


CANCEL = {"batal", "cancel", "stop"}
SKIP = {"lewati", "lanjut", "selesai", "tidak", "tidak ada", "skip", "next", "done", "no"}
YES = {"ya", "y", "iya", "kirim", "yes", "send", "ok"}
CHANGE = {"ubah", "ulang", "change", "edit"}
PRIVACY_CHOICES = {"1": (False, False), "2": (True, False), "3": (False, True), "4": (True, True)}
REPORT_KEYWORD = re.compile(r"(?:lapor|report)(?:\s+(.*))?", re.IGNORECASE | re.DOTALL)
ANONYMOUS_WORDS = {"anonim", "anonymous"}
SECRET_WORDS = {"rahasia", "secret", "confidential"}


def _number_pattern():
    return rf"({re.escape(settings.SIKESAL_TRACKING_PREFIX)}-[0-9]{{4}}-[A-Z0-9]{{4,6}})"


def tracking_number_in(text):
    """The first tracking number written in `text` (an e-mail's subject), upper-cased, or ""."""
    match = re.search(rf"(?<![\w-]){_number_pattern()}(?![\w-])", str(text or ""), re.IGNORECASE)
    return match.group(1).upper() if match else ""


@dataclass
class Incoming:
    """One message as the conversation reads it (InboundMessage.content), with its files already fetched
    and checked: `files` holds CheckedFile objects, `refused` the answers for files that failed."""

    sender: str
    sent_at: dt.datetime
    text: str = ""
    name: str = ""
    reply_to: str = ""
    references: list = field(default_factory=list)  # e-mail: the earlier messages of its thread
    choice: str = ""
    location: dict | None = None
    subject: str = ""  # e-mail: the title of a report it files
    about: str = ""  # the tracking number it is about (an e-mail's subject names it)
    whole_report: bool = False  # it is a whole report on its own (a new e-mail)
    files: list = field(default_factory=list)
    refused: list = field(default_factory=list)


class Turn:
    """What handling one message does: the answers to send, each about a report or not."""

    def __init__(self, adapter, message, inbound):
        self.adapter, self.message, self.inbound = adapter, message, inbound
        self.answers = []

    def say(self, text, complaint=None):
        self.answers.append(
            OutboundMessage(
                channel=self.adapter.name,
                to=self.message.sender,
                body=text,
                complaint=complaint,
                reply_to=self.inbound,
            )
        )


def handle(adapter, message, inbound):
    """Handle one citizen message; returns the answers (unsaved OutboundMessage rows)."""
    turn = Turn(adapter, message, inbound)
    conv = lookups.conversation_of(adapter.name, message.sender)
    if conv is not None and conv.expires_at <= message.sent_at:
        with translation.override(conv.language):
            expire(turn, conv)
        conv = None
    lang = conv.language if conv is not None else language.detect(message.text, settings.LANGUAGE_CODE)
    with translation.override(lang):
        if not _command(turn, conv, lang):
            _converse(turn, conv, lang)
    return turn.answers


def expire(turn, conv):
    """End a conversation left idle. A report the citizen wrote whole (SMS "lapor", a new e-mail) that
    waited only for its kelurahan is filed as it is, the kelurahan left for the verifier to place: the
    citizen's text is never lost. A step-by-step one that was never confirmed ends with nothing filed."""
    if not (conv.draft.get("at_once") and conv.draft.get("body")):
        turn.say(expired_text())
        discard(conv)
        return
    told = len(turn.answers)
    _file(turn, conv, key=f"inbound:{turn.adapter.name}:{conv.draft.get('message')}:expired")
    if conv.step:  # not filed (over the sender's limit): the draft waits until it may be
        _save(conv, turn.message)
        return
    turn.say(_("You did not tell us the kelurahan, so your report was filed without it: our staff will place it."))
    turn.answers.insert(told, turn.answers.pop())  # read before the receipt


def expire_idle(adapter, conv, now):
    """`expire` for a conversation the periodic job found idle (no message of the citizen's at hand);
    returns the answers to send (unsaved)."""
    turn = Turn(adapter, Incoming(sender=conv.sender, sent_at=now), None)
    expire(turn, conv)
    return turn.answers


def expired_text():
    return _(
        "The report you started was not finished within %(minutes)d minutes, so nothing was filed. "
        "Write to us again whenever you like to start over."
    ) % {"minutes": settings.SIKESAL_INBOUND_IDLE_MINUTES}


def discard(conv):
    """End a conversation; the files it kept are deleted once that is committed."""
    _delete_files(conv.draft.pop("files", []))
    if conv.pk is not None:
        conv.delete()


def _delete_files(kept):
    paths = [f["path"] for f in kept]
    transaction.on_commit(lambda: [default_storage.delete(path) for path in paths])


# --- Commands -------------------------------------------------------------------------------------------


def _command(turn, conv, lang):
    text = " ".join(turn.message.text.split())
    lowered = text.lower()
    if lowered in CANCEL:
        if conv is None:
            turn.say(_("There is no report in progress. Write to us whenever you want to file one."))
        else:
            discard(conv)
            turn.say(_("Cancelled: nothing was filed. Write to us whenever you want to start again."))
        return True
    number = _number_pattern()
    if m := re.fullmatch(rf"(?:cek|check|status)\s+{number}", text, re.IGNORECASE):
        _status(turn, m.group(1).upper())
        return True
    if m := re.fullmatch(rf"(?:balas|reply)\s+{number}\s+(.+)", text, re.IGNORECASE | re.DOTALL):
        _reply(turn, Complaint.objects.filter(tracking_number=m.group(1).upper()).first(), m.group(2))
        return True
    if turn.adapter.keywords and (m := REPORT_KEYWORD.fullmatch(turn.message.text.strip())):
        _file_at_once(turn, conv, m.group(1) or "")
        return True
    replied_to = [r for r in [turn.message.reply_to, *turn.message.references] if r]
    if replied_to and text:
        about = (
            OutboundMessage.objects.filter(
                channel=turn.adapter.name, external_id__in=replied_to, complaint__isnull=False
            )
            .select_related("complaint")
            .order_by("-id")
            .first()
        )
        if about is not None:
            _reply(turn, about.complaint, turn.message.text)
            return True
    if turn.message.about and text:
        _reply(turn, Complaint.objects.filter(tracking_number=turn.message.about).first(), turn.message.text)
        return True
    return False


def _status(turn, number):
    c = Complaint.objects.filter(tracking_number=number).first()
    if c is None:
        turn.say(_("No report has the number %(number)s. Check the number and try again.") % {"number": number})
        return
    turn.say(
        _("%(number)s: %(status)s (since %(date)s). Details: %(url)s")
        % {
            "number": c.tracking_number,
            "status": c.get_status_display(),
            "date": formats.date_format(timezone.localtime(c.status_changed_at), "j F Y"),
            "url": settings.SITE_URL + reverse("portal:track_detail", args=[c.tracking_number]),
        },
        complaint=c,
    )


def _reply(turn, complaint, text):
    normalise = channels.get(turn.adapter.name).normalise
    if complaint is None or not policy.sender_owns_report(
        complaint, turn.adapter.contact, turn.message.sender, normalise
    ):
        turn.say(_("Only the person who filed a report can reply to it, from the number it was filed with."))
        return
    if not text.strip():
        return
    try:
        lifecycle.transition(complaint, Action.COMMENT, Actor.reporter(complaint), message=text.strip())
    except LifecycleError as exc:
        turn.say(_("Your reply was not added: %(reason)s") % {"reason": exc.message})
        return
    turn.say(_("Your reply was added to report %(number)s.") % {"number": complaint.tracking_number}, complaint)


# --- Filing a report, step by step ------------------------------------------------------------------------


def _converse(turn, conv, lang):
    message = turn.message
    if message.whole_report:
        _file_at_once(turn, conv, message.text, message.subject)
        return
    if conv is None and not turn.adapter.converses:
        turn.say(turn.adapter.help_text())
        return
    if conv is None:
        conv = Conversation(channel=turn.adapter.name, sender=message.sender, language=lang, draft={})
        conv.draft["name"] = message.name
        # A first message that describes the problem is taken as its description; a greeting gets the welcome.
        if len(message.text.strip()) < settings.SIKESAL_BODY_MIN or language.is_greeting(message.text):
            turn.say(
                _(
                    "Hello! This is the complaint service of Kota Jambi (SIKESAL). What happened? Describe the "
                    'problem in at least %(n)d characters. At any time: "cek <number>" shows a report\'s '
                    'status, "batal" stops.'
                )
                % {"n": settings.SIKESAL_BODY_MIN}
            )
            conv.step = Step.DESCRIBE
            _keep_files(turn, conv)
            _save(conv, message)
            return
        conv.step = Step.DESCRIBE
    _keep_files(turn, conv)
    STEPS[conv.step](turn, conv)
    _save(conv, message)


def _save(conv, message):
    if conv.step == "":  # filed: the conversation is over
        return
    conv.expires_at = message.sent_at + dt.timedelta(minutes=settings.SIKESAL_INBOUND_IDLE_MINUTES)
    conv.save()


def _keep_files(turn, conv, told=True):
    """Photos and documents are taken at any step before the summary: kept in storage (the draft names
    them), so a crash or a long pause loses none; a refused file is answered and the conversation goes on."""
    for reason in turn.message.refused:
        turn.say(reason)
    kept = conv.draft.setdefault("files", [])
    for checked in turn.message.files:
        if len(kept) >= settings.SIKESAL_UPLOAD_MAX_FILES:
            turn.say(_("At most %(n)d attachments.") % {"n": settings.SIKESAL_UPLOAD_MAX_FILES})
            break
        path = default_storage.save(f"inbound/{secrets.token_hex(12)}{checked.extension}", ContentFile(checked.content))
        kept.append({"path": path, "name": checked.original_name})
    if told and turn.message.files and conv.step != Step.PHOTOS:
        turn.say(_("File received (%(n)d); it will be attached to your report.") % {"n": len(kept)})


def _describe(turn, conv):
    body = turn.message.text.strip()
    if len(body) < settings.SIKESAL_BODY_MIN:
        if body or not turn.message.files:
            turn.say(
                _("Please describe the problem in at least %(n)d characters: what, and since when.")
                % {"n": settings.SIKESAL_BODY_MIN}
            )
        return
    conv.draft["body"] = body[: settings.SIKESAL_BODY_MAX]
    _ask_where(turn, conv)


def _ask_where(turn, conv):
    conv.step = Step.WHERE
    turn.say(
        turn.adapter.render_choices(
            _("Where is it? Share a location, or choose the kecamatan by replying with its number:"),
            [(a.code, a.name) for a in _kecamatan()],
        )
    )


def _kecamatan():
    return list(Area.objects.filter(level=AreaLevel.KECAMATAN).order_by("name"))


def _chosen(message, options):
    """The option a reply picks: by its number, the provider's list-reply id, or its name written out."""
    answer = (message.choice or message.text).strip()
    for number, area in enumerate(options, 1):
        if answer in {str(number), area.code} or answer.lower() == area.name.lower():
            return area
    return None


def _where(turn, conv):
    location = turn.message.location
    if location is not None:
        bounds = settings.SIKESAL_CITY_BOUNDS
        lat, lng = location.get("latitude"), location.get("longitude")
        if not (
            isinstance(lat, (int, float))
            and isinstance(lng, (int, float))
            and bounds["south"] <= lat <= bounds["north"]
            and bounds["west"] <= lng <= bounds["east"]
        ):
            turn.say(_("That location is outside Kota Jambi. Share another one, or choose a kecamatan by number."))
            return
        conv.draft.update(latitude=lat, longitude=lng, address=" ".join(location.get("address_text", "").split()))
        _ask_photos(turn, conv)
        return
    kecamatan = _chosen(turn.message, _kecamatan())
    if kecamatan is None:
        if not turn.message.files:
            _ask_where(turn, conv)
        return
    conv.draft["kecamatan"] = kecamatan.code
    _ask_kelurahan(turn, conv, kecamatan)


def _kelurahan_of(code):
    return list(Area.objects.filter(level=AreaLevel.KELURAHAN, parent_id=code).order_by("name"))


def _ask_kelurahan(turn, conv, kecamatan):
    conv.step = Step.KELURAHAN
    turn.say(
        turn.adapter.render_choices(
            _("Kecamatan %(name)s. Now choose the kelurahan by its number:") % {"name": kecamatan.name},
            [(a.code, a.name) for a in _kelurahan_of(kecamatan.code)],
        )
    )


def _kelurahan(turn, conv):
    kelurahan = _chosen(turn.message, _kelurahan_of(conv.draft["kecamatan"]))
    if kelurahan is None:
        if not turn.message.files:
            _ask_kelurahan(turn, conv, Area.objects.get(pk=conv.draft["kecamatan"]))
        return
    conv.draft["area"] = kelurahan.code
    if conv.draft.get("at_once"):
        _file(turn, conv)
    else:
        _ask_photos(turn, conv)


# --- A report in one message: "lapor <text>", or a new e-mail ----------------------------------------------


def _file_at_once(turn, conv, text, title=""):
    """File what one message says, as it is: no summary to confirm (the citizen wrote it whole). Leading
    "anonim"/"rahasia" words (of the text or the e-mail's subject) choose the privacy; the kelurahan is read
    from the text, or asked for in one more message."""
    if conv is not None:
        discard(conv)  # a new report replaces one left half-way
    anonymous_t, secret_t, body = _privacy_words(text)
    anonymous_s, secret_s, title = _privacy_words(title)
    body = body.strip()
    if len(body) < settings.SIKESAL_BODY_MIN:
        turn.say(
            _("To file a report, write what happened and where, in at least %(n)d characters.")
            % {"n": settings.SIKESAL_BODY_MIN}
            + (" " + turn.adapter.help_text() if turn.adapter.keywords else "")
        )
        return
    conv = Conversation(channel=turn.adapter.name, sender=turn.message.sender, language=translation.get_language())
    conv.draft = {
        "name": turn.message.name,
        "body": body[: settings.SIKESAL_BODY_MAX],
        "title": title,
        "is_anonymous": anonymous_t or anonymous_s,
        "is_secret": secret_t or secret_s,
        "at_once": True,
        "message": turn.inbound.pk,  # the message it came in: the key it is filed under if it expires
    }
    conv.step = Step.AREA_NAME
    _keep_files(turn, conv, told=False)
    area = places.kelurahan_in(f"{title} {body}")
    if area is not None:
        conv.draft["area"] = area.code
        _file(turn, conv)
    else:
        _ask_area_name(turn, conv)
    _save(conv, turn.message)


def _privacy_words(text):
    """(anonim?, rahasia?, the rest) of a text that may begin with those words, in either order."""
    anonymous = secret = False
    rest = str(text or "").strip()
    while m := re.match(r"(\S+)\s*(.*)", rest, re.DOTALL):
        word = m.group(1).lower().strip(",.:;")
        if word in ANONYMOUS_WORDS and not anonymous:
            anonymous = True
        elif word in SECRET_WORDS and not secret:
            secret = True
        else:
            break
        rest = m.group(2)
    return anonymous, secret, rest


def _ask_area_name(turn, conv):
    conv.step = Step.AREA_NAME
    turn.say(_('In which kelurahan is it? Reply with the name of the kelurahan (or the kecamatan), or "lewati".'))


def _area_name(turn, conv):
    answer = turn.message.text.strip()
    if answer.lower() in SKIP:
        _file(turn, conv)  # the city as the area: the verifier places it
        return
    kelurahan = places.kelurahan_named(answer)
    if kelurahan is not None:
        conv.draft["area"] = kelurahan.code
        _file(turn, conv)
        return
    kecamatan = places.kecamatan_named(answer)
    if kecamatan is not None:
        conv.draft["kecamatan"] = kecamatan.code
        _ask_kelurahan(turn, conv, kecamatan)
        return
    turn.say(_("No kelurahan of Kota Jambi has that name.") + " ")
    _ask_area_name(turn, conv)


def _ask_photos(turn, conv):
    conv.step = Step.PHOTOS
    turn.say(_('Send photos of the problem if you have any, or reply "lewati" to go on without.'))


def _photos(turn, conv):
    if turn.message.files:
        turn.say(
            _('Photo received (%(n)d). Send another, or reply "lanjut" to go on.') % {"n": len(conv.draft["files"])}
        )
        return
    if turn.message.text.strip().lower() in SKIP:
        _ask_privacy(turn, conv)
    elif not turn.message.refused:
        _ask_photos(turn, conv)


def _ask_privacy(turn, conv):
    conv.step = Step.PRIVACY
    anonymous = _(
        "The agency you report on and the public never see who you are. Only the city's admin koordinator can, "
        "and every such look is recorded."
    )
    secret = _("The content of your report is not published. The public sees only its status.")
    turn.say(
        "\n".join(
            [
                _("Who may know? Reply with a number:"),
                "1. " + _("Normal: the report is published once verified; your name and number never are."),
                "2. " + _("Anonymous (anonim)") + ": " + anonymous,
                "3. " + _("Confidential (rahasia)") + ": " + secret,
                "4. " + _("Anonymous and confidential"),
            ]
        )
    )


def _privacy(turn, conv):
    choice = PRIVACY_CHOICES.get((turn.message.choice or turn.message.text).strip())
    if choice is None:
        _ask_privacy(turn, conv)
        return
    conv.draft["is_anonymous"], conv.draft["is_secret"] = choice
    conv.step = Step.CONFIRM
    turn.say(_summary(conv))


def _summary(conv):
    d = conv.draft
    if d.get("area"):
        area = Area.objects.select_related("parent").get(pk=d["area"])
        where = f"{area.name}, {area.parent.name}" if area.parent else area.name
    else:
        where = " ".join(filter(None, [d.get("address"), f"({d['latitude']:.5f}, {d['longitude']:.5f})"]))
    privacy = [
        str(label)
        for flag, label in ((d["is_anonymous"], _("Anonymous (anonim)")), (d["is_secret"], _("Confidential (rahasia)")))
        if flag
    ]
    return "\n".join(
        [
            _("Your report:"),
            _("What happened: %(body)s") % {"body": d["body"]},
            _("Where: %(where)s") % {"where": where},
            _("Photos: %(n)d") % {"n": len(d.get("files", []))},
            _("Privacy: %(privacy)s") % {"privacy": ", ".join(privacy) or _("normal")},
            "",
            _('Reply "ya" to send it, "ubah" to start again, or "batal" to stop.'),
        ]
    )


def _confirm(turn, conv):
    answer = turn.message.text.strip().lower()
    if answer in CHANGE:
        _delete_files(conv.draft.get("files", []))
        conv.draft = {"name": conv.draft.get("name", "")}
        conv.step = Step.DESCRIBE
        turn.say(_("Let us start again. What happened?"))
    elif answer in YES:
        _file(turn, conv)
    else:
        turn.say(_summary(conv))


def _file(turn, conv, key=None):
    d = conv.draft
    data = {
        "channel": turn.adapter.name,
        "title": _title(d.get("title") or d["body"]),
        "body": d["body"],
        "latitude": d.get("latitude"),
        "longitude": d.get("longitude"),
        "area": d.get("area"),
        "address": d.get("address", ""),
        "is_anonymous": d["is_anonymous"],
        "is_secret": d["is_secret"],
        "reporter": {"name": d.get("name", ""), turn.adapter.contact: turn.message.sender},
        # the message that confirmed: a second handling of it (it never should) files nothing new
        "idempotency_key": key or f"inbound:{turn.adapter.name}:{turn.inbound.pk}",
    }
    files = []
    for kept in d.get("files", []):
        with default_storage.open(kept["path"], "rb") as fh:
            files.append((kept["name"], fh.read()))
    # The same abuse controls as every door (complaints/senders.py): over the sender's limit nothing is filed
    # and the draft waits; a blocked sender's report is filed held for the admin, and answered as any other.
    screened = senders.check_reporter(data["reporter"], turn.adapter.name)
    if screened.limited:
        turn.say(senders.too_many_message())
        return
    try:
        result = submission.submit(Actor.filing_citizen(None), data, files, held_by=screened.entry)
    except InvalidInput as exc:
        problems = [str(m) for messages in exc.fields.values() for m in messages] or [str(exc.message)]
        turn.say(_("The report could not be filed: %(problems)s") % {"problems": " ".join(problems)})
        if d.get("at_once"):  # nothing to go back to: the citizen writes the report again
            discard(conv)
            conv.step = ""
        else:
            _back_to_fix(turn, conv, exc.fields)
        return
    c = result.complaint
    link = {"number": c.tracking_number, "url": settings.SITE_URL + reverse("portal:private", args=[result.secret])}
    if turn.adapter.brief:
        turn.say(_("Report %(number)s filed. Private link: %(url)s") % link, complaint=c)
    else:
        turn.say(
            _(
                "Thank you. Your report is filed with number %(number)s. Keep this private link to follow it and "
                'answer us: %(url)s\nReply "cek %(number)s" at any time to see its status.'
            )
            % link,
            complaint=c,
        )
    turn.answers[-1].body += "\n" + notice.channel_line()  # the privacy notice at the point of filing (UU PDP)
    discard(conv)
    conv.step = ""


def _back_to_fix(turn, conv, fields):
    if "body" in fields or "title" in fields:
        conv.step = Step.DESCRIBE
    elif {"location", "area", "address"} & set(fields):
        _ask_where(turn, conv)
    elif "attachments" in fields:
        _delete_files(conv.draft.pop("files", []))
        _ask_photos(turn, conv)


def _title(body):
    first = " ".join(body.split())
    return first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + "..."


STEPS = {
    Step.DESCRIBE: _describe,
    Step.WHERE: _where,
    Step.KELURAHAN: _kelurahan,
    Step.AREA_NAME: _area_name,
    Step.PHOTOS: _photos,
    Step.PRIVACY: _privacy,
    Step.CONFIRM: _confirm,
}
