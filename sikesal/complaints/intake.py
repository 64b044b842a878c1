"""Validation of a new report, shared by every channel (web form, REST, Open311, LAPOR! pull).

All checks run before anything is written; every problem is reported at once, per field.
"""

import datetime as dt
import functools
import math
import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.catalogue import snapshot
from sikesal.catalogue.models import Area, Service
from sikesal.complaints.attachments import check_uploads
from sikesal.complaints.errors import InvalidInput
from sikesal.complaints.states import Channel, ComplaintType

PHONE_RE = re.compile(r"^\+?[0-9]{8,15}$")
NIK_RE = re.compile(r"^[0-9]{16}$")
INCIDENT_MAX_AGE_DAYS = 3 * 365


def _as_bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "on", "yes", "ya"}


def _as_float(value):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "invalid"
    return number if math.isfinite(number) else "invalid"


def _as_date(value):
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return "invalid"


# C0 control characters other than tab, newline and carriage return: no person types them, PostgreSQL
# refuses NUL, and one of them in a stored text makes every XML feed that carries it invalid.
# Also dropped: noncharacters (U+FDD0-U+FDEF and the last two code points of every plane: never text, and
# invalid in XML), bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: "\u202egnp.exe"
# shows a title or a file name reversed to an officer), and lone surrogates (no text; a UTF-8 encoder refuses them).
CONTROL_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
    + "]"
)


def without_controls(value):
    """The value with control characters removed, all the way down (dicts, lists), for every channel's
    text: the web form, REST, Open311, the LAPOR! pull and every lifecycle action pass here."""
    if isinstance(value, str):
        return CONTROL_RE.sub("", value)
    if isinstance(value, dict):
        return {k: without_controls(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(without_controls(v) for v in value)
    return value


def clean_report(data, files=()):
    """Return cleaned fields for a new report, or raise InvalidInput listing every problem."""
    data = without_controls(dict(data))
    errors = {}

    def fail(field, message):
        errors.setdefault(field, []).append(message)

    cleaned = {}
    cleaned["type"] = data.get("type") or ComplaintType.PENGADUAN
    if cleaned["type"] not in ComplaintType.values:
        fail("type", _("Choose pengaduan, aspirasi or permintaan informasi."))

    channel = data.get("channel") or Channel.WEB
    if channel not in Channel.values:
        fail("channel", _("Unknown channel."))
    cleaned["channel"] = channel

    title = " ".join(str(data.get("title") or "").split())
    if not title:
        fail("title", _("The title is required."))
    elif len(title) > settings.SIKESAL_TITLE_MAX:
        fail("title", _("The title is at most %(n)d characters.") % {"n": settings.SIKESAL_TITLE_MAX})
    cleaned["title"] = title

    body = str(data.get("body") or "").strip()
    if len(body) < settings.SIKESAL_BODY_MIN:
        fail("body", _("Describe the problem in at least %(n)d characters.") % {"n": settings.SIKESAL_BODY_MIN})
    elif len(body) > settings.SIKESAL_BODY_MAX:
        fail("body", _("The description is at most %(n)d characters.") % {"n": settings.SIKESAL_BODY_MAX})
    cleaned["body"] = body

    service = None
    service_code = data.get("service")
    if isinstance(service_code, Service):
        service = service_code
    elif service_code:
        service = snapshot.service(service_code)
        if service is None:
            fail("service", _("Unknown service."))
    cleaned["service"] = service
    cleaned["answers"] = _clean_answers(service, data.get("answers") or {}, fail)

    incident = _as_date(data.get("incident_date"))
    today = timezone.localdate()
    if incident == "invalid":
        fail("incident_date", _("The date of incident must be a date (YYYY-MM-DD)."))
        incident = None
    elif incident and incident > today:
        fail("incident_date", _("The date of incident cannot be in the future."))
    elif incident and (today - incident).days > INCIDENT_MAX_AGE_DAYS:
        fail("incident_date", _("The date of incident is too long ago."))
    cleaned["incident_date"] = incident

    lat, lng = _as_float(data.get("latitude")), _as_float(data.get("longitude"))
    if lat == "invalid" or lng == "invalid" or (lat is None) != (lng is None):
        fail("location", _("The location must be a pair of numbers (latitude, longitude)."))
        lat = lng = None
    elif lat is not None:
        b = settings.SIKESAL_CITY_BOUNDS
        if not (b["south"] <= lat <= b["north"] and b["west"] <= lng <= b["east"]):
            fail("location", _("The location is outside Kota Jambi."))
    cleaned["latitude"], cleaned["longitude"] = lat, lng

    area = None
    area_code = data.get("area")
    if isinstance(area_code, Area):
        area = area_code
    elif area_code:
        area = snapshot.kelurahan(area_code)
        if area is None:
            fail("area", _("Unknown kelurahan."))
    cleaned["area"] = area
    address = " ".join(str(data.get("address") or "").split())
    if len(address) > 300:
        fail("address", _("The address is at most 300 characters."))
    cleaned["address"] = address

    cleaned["is_anonymous"] = _as_bool(data.get("is_anonymous", False))
    cleaned["is_secret"] = _as_bool(data.get("is_secret", False))
    cleaned["reporter"] = _clean_reporter(data.get("reporter") or {}, fail)

    key = data.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not 8 <= len(key) <= 80):
        fail("idempotency_key", _("The idempotency key must be 8 to 80 characters."))
    cleaned["idempotency_key"] = key or None

    checked, file_errors = check_uploads(list(files))
    for message in file_errors:
        fail("attachments", message)
    cleaned["attachments"] = checked

    if errors:
        raise InvalidInput("invalid_report", _("The report has errors; nothing was saved."), errors)
    return cleaned


def clean_phone(raw):
    """A phone number without the spaces, dashes, dots and brackets people write it with."""
    return re.sub(r"[\s\-().]", "", str(raw or ""))


# A pure function of its text, and a costly one (libphonenumber parses and classifies the number): every
# WhatsApp and SMS webhook reads its sender's number, and the same citizens write again and again.
@functools.lru_cache(maxsize=65536)
def canonical_phone(raw):
    """The one form a phone number is known by (accounts, notification channels, the block list, limits):
    E.164, read by Google's libphonenumber (`phonenumbers`) as written in Indonesia, so 0812…, 62812… and
    +62812… are one number. Indonesian numbers must be mobile numbers (SMS and WhatsApp reach only those); a
    foreign number is written with its + (812… without 0 could be either: refused, not guessed). Raises
    ValueError saying what is wrong."""
    written = clean_phone(raw)
    if not PHONE_RE.match(written):
        raise ValueError(f"{written or 'an empty value'} is not a phone number")
    if not written.startswith(("+", "0", "62")):
        raise ValueError(f"{written}: write an Indonesian number with 0 or +62, a foreign one with +")
    try:
        number = phonenumbers.parse(written, "ID")
    except phonenumbers.NumberParseException:
        raise ValueError(f"{written} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{written}: write an Indonesian number with 0 or +62, a foreign one with +")
    if number.country_code == 62 and phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValueError(f"{written} is not an Indonesian mobile number (08…)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_spellings(canonical):
    """The ways intake may have stored the number `canonical` (canonical_phone's form) on a Reporter row,
    which keeps a number as it was written, without spaces and dashes: +62812…, 62812…, 0812…."""
    spellings = {canonical, canonical.lstrip("+")}
    if canonical.startswith("+62"):
        spellings.add("0" + canonical[3:])
    return spellings


def phone_spellings_of(raw):
    """phone_spellings of a number however it was typed, and the number as typed (+62 0812… is read as
    +62812…, a spelling of its own); just the number as typed when canonical_phone cannot read it. Never
    raises: for looking rows up, where an unreadable number simply matches itself."""
    try:
        return phone_spellings(canonical_phone(raw)) | {raw}
    except ValueError:
        return {raw}


def _clean_reporter(raw, fail):
    name = " ".join(str(raw.get("name") or "").split())[:120]
    phone = clean_phone(raw.get("phone"))
    email = str(raw.get("email") or "").strip()
    nik = str(raw.get("nik") or "").strip()
    if phone and not PHONE_RE.match(phone):
        fail("phone", _("The phone number is not valid."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            fail("email", _("The e-mail address is not valid."))
    if nik and not NIK_RE.match(nik):
        fail("nik", _("The NIK has 16 digits."))
    return {"name": name, "phone": phone, "email": email, "nik": nik, "user": raw.get("user")}


def service_answers(post):
    """The answers a web form (the citizen's or the complaint desk's) sends to the chosen service's extra
    questions, in fields named answer_<service>__<question>."""
    prefix = f"answer_{post.get('service', '')}__"
    return {
        key[len(prefix) :]: (post.getlist(key) if len(post.getlist(key)) > 1 else post.get(key))
        for key in post
        if key.startswith(prefix)
    }


def _clean_answers(service, raw, fail):
    """Answers to the service's extra questions, checked against their datatypes."""
    if not isinstance(raw, dict):
        fail("answers", _("Answers must be given per question."))
        return {}
    questions = {q["code"]: q for q in (service.extra_questions if service else [])}
    answers = {}
    for code, question in questions.items():
        value = raw.get(code)
        if value in (None, "", []):
            if question.get("required"):
                fail(f"answers.{code}", _("This question must be answered."))
            continue
        allowed = {str(v["key"]) for v in question.get("values", [])}
        datatype = question["datatype"]
        if datatype == "number":
            number = _as_float(value)
            if number in (None, "invalid"):
                fail(f"answers.{code}", _("Enter a number."))
                continue
            value = number
        elif datatype == "singlevaluelist" and str(value) not in allowed:
            fail(f"answers.{code}", _("Choose one of the listed answers."))
            continue
        elif datatype == "multivaluelist":
            values = value if isinstance(value, list) else [value]
            if not all(str(v) in allowed for v in values):
                fail(f"answers.{code}", _("Choose from the listed answers."))
                continue
            value = [str(v) for v in values]
        else:
            value = str(value)[:1000]
        answers[code] = value
    return answers
