"""Submission: a new report through the one door, from every channel (web, REST, Open311, SP4N-LAPOR!,
the demo data). Cleans the input (intake.py), creates the report, its reporter row and its first event in
one transaction, idempotently when the channel gives a key."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.accounts.roles import Role
from sikesal.complaints import policy
from sikesal.complaints.deadlines import initial_deadlines, refresh_deadlines
from sikesal.complaints.errors import NotAllowed
from sikesal.complaints.intake import clean_report
from sikesal.complaints.lifecycle import Result, _event, _store_attachment
from sikesal.complaints.models import Complaint, Reporter, hash_secret
from sikesal.complaints.states import Status, Visibility

S = Status

TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone


def new_tracking_number(now, length=4):
    local = timezone.localtime(now)
    suffix = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(length))
    return f"{settings.SIKESAL_TRACKING_PREFIX}-{local:%y%m}-{suffix}"


def _secret_for(idempotency_key):
    """With an idempotency key the secret is derived, so a repeated submission can show the same link."""
    if not idempotency_key:
        return Complaint.new_secret()
    digest = hmac.new(settings.SECRET_KEY.encode(), b"complaint-secret:" + idempotency_key.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _replay(key):
    existing = Complaint.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    return Result(existing, existing.events.order_by("id").first(), secret=_secret_for(key), replayed=True)


def submit(actor, data, files=(), *, now=None):
    """File a new report. Validates everything first; an idempotency key makes repeats harmless."""
    if not policy.may(actor, "submit", None):
        raise NotAllowed("not_allowed", _("You may not file reports here."))
    key = data.get("idempotency_key")
    if key and (replay := _replay(key)):
        return replay
    cleaned = clean_report(data, files)
    now = now or timezone.now()
    secret = _secret_for(cleaned["idempotency_key"])
    stored = []
    try:
        for attempt in range(8):
            try:
                with transaction.atomic():
                    result = _create(actor, cleaned, secret, now, stored, length=4 if attempt < 4 else 6)
                    return result
            except IntegrityError:
                for f in stored:
                    f.delete(save=False)
                stored.clear()
                if key and (replay := _replay(key)):
                    return replay
        raise IntegrityError("could not allocate a tracking number")
    except BaseException:
        for f in stored:
            f.delete(save=False)
        raise


def _create(actor, cleaned, secret, now, stored, length):
    c = Complaint(
        tracking_number=new_tracking_number(now, length),
        secret_hash=hash_secret(secret),
        idempotency_key=cleaned["idempotency_key"],
        status=S.RECEIVED,
        submitted_at=now,
        status_changed_at=now,
        **{
            name: cleaned[name]
            for name in (
                "type",
                "channel",
                "title",
                "body",
                "incident_date",
                "latitude",
                "longitude",
                "area",
                "address",
                "service",
                "answers",
                "is_anonymous",
                "is_secret",
            )
        },
    )
    initial_deadlines(c, now)
    refresh_deadlines(c)
    c.save()
    identity = cleaned["reporter"]
    user = identity.get("user") or (actor.user if actor.role == Role.CITIZEN else None)
    if user is not None or any(identity[k] for k in ("name", "phone", "email", "nik")):
        Reporter.objects.create(complaint=c, user=user, **{k: identity[k] for k in ("name", "phone", "email", "nik")})
    for checked in cleaned["attachments"]:
        _store_attachment(c, checked, stored)
    payload = {"channel": c.channel, "attachments": len(cleaned["attachments"])}
    event = _event(c, "submit", actor, now, "", Visibility.PUBLIC, "", payload)
    return Result(c, event, secret=secret)
