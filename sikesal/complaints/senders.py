"""Abuse controls every door calls before filing: the block list and the per-sender limits.

A sender is a phone number or an e-mail address in its canonical form (intake.canonical_phone, the form
the notification channels know numbers by; an e-mail address in lower case, so that a prankster cannot
come back as Budi@… after budi@… was blocked). The block list lives here, in the reports' room, because
filing must consult it; the doors write the audit entries (backoffice/blocklist.py).

A blocked sender's report is not thrown away: the door files it held (Complaint.held_by), so it waits in
the admin's "Diblokir" queue, is never sent on before verification, and its sender is answered as anyone
else is. The complaint desk is the exception: a person stands there, so the officer is warned and decides.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.complaints.actions import Action
from sikesal.complaints.errors import TooManyReports
from sikesal.complaints.intake import canonical_phone, phone_spellings
from sikesal.complaints.models import BlockedSender, Complaint, Event
from sikesal.complaints.states import ArchiveReason
from sikesal.core.ratelimit import allow

Kind = BlockedSender.Kind

# What a sender does, and its limit in SIKESAL_RATE_LIMITS with the window it counts over.
FILE = "file"
MESSAGE = "message"
LIMITS = {FILE: ("file_per_sender_per_hour", 3600), MESSAGE: ("messages_per_sender_per_minute", 60)}


def canonical(kind, address):
    """The sender's canonical address, or None when it is not one (the door's validation says why)."""
    if kind == Kind.PHONE:
        try:
            return canonical_phone(address)
        except ValueError:
            return None
    address = str(address or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        return None
    return address


def active(now=None):
    now = now or timezone.now()
    return BlockedSender.objects.filter(lifted_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def block_for(kind, address):
    """The block in force for this sender, or None."""
    key = canonical(kind, address)
    return active().filter(kind=kind, address=key).order_by("-added_at").first() if key else None


@dataclass(frozen=True)
class Verdict:
    entry: BlockedSender | None = None  # the block in force: file the report held by it
    limited: bool = False  # over the per-sender limit: refuse, file nothing

    @property
    def allowed(self):
        return self.entry is None and not self.limited

    def refuse_if_limited(self):
        if self.limited:
            raise TooManyReports("too_many_reports", too_many_message())


def too_many_message():
    return _("Too many reports from this phone number or e-mail address. Please try again in an hour.")


def check(kind, address, channel, *, scope=FILE, count=True):
    """What may happen to what this sender sends on `channel` now: a Verdict. `count` adds one to the
    sender's limit of `scope` (every door but the complaint desk, where a person is checked): reports are
    counted across channels (a prankster gets no new allowance per door), messages per channel (a
    WhatsApp conversation and an e-mail thread are separate streams)."""
    key = canonical(kind, address)
    if key is None:
        return Verdict()
    return Verdict(entry=block_for(kind, key), limited=count and _over_limit(kind, key, channel, scope))


def message_limited(kind, address, channel):
    """Counts one message of this sender on `channel`: is it over the limit? (`check` without the block
    list, which a message does not need: a blocked sender's messages are handled, its reports held.)"""
    key = canonical(kind, address)
    return key is not None and _over_limit(kind, key, channel, MESSAGE)


def _over_limit(kind, key, channel, scope):
    setting, window = LIMITS[scope]
    ident = f"{kind}:{key}" + (f"@{channel}" if scope == MESSAGE else "")
    return not allow(f"{scope}-sender", ident, settings.SIKESAL_RATE_LIMITS[setting], window)


def check_reporter(reporter, channel, *, count=True):
    """`check` for every contact a report's reporter (the door's dict) leaves: one blocked contact holds
    the report, one contact over its limit refuses it."""
    verdicts = [
        check(kind, address, channel, count=count)
        for kind in (Kind.PHONE, Kind.EMAIL)
        if (address := (reporter or {}).get(kind))
    ]
    entry = next((v.entry for v in verdicts if v.entry is not None), None)
    return Verdict(entry=entry, limited=any(v.limited for v in verdicts))


def add(kind, address, reason, *, by, expires_at=None, now=None, prank_event=None):
    key = canonical(kind, address)
    if key is None:
        raise ValueError(address)
    return BlockedSender.objects.create(
        kind=kind,
        address=key,
        reason=reason,
        expires_at=expires_at,
        added_at=now or timezone.now(),
        added_by=by,
        prank_event=prank_event,
    )


def lift(entry, *, by, now=None):
    """End the block now; False when it had already ended (nothing changed)."""
    now = now or timezone.now()
    return bool(BlockedSender.objects.filter(pk=entry.pk, lifted_at__isnull=True).update(lifted_at=now, lifted_by=by))


# --- Pranks ---------------------------------------------------------------------------------------------


def _written_forms(kind, key):
    """How a canonical address may be stored on a Reporter row (intake keeps the number as written)."""
    if kind == Kind.EMAIL:
        return Q(reporter__email__iexact=key)
    return Q(reporter__phone__in=phone_spellings(key))


def contacts_of(complaint):
    reporter = getattr(complaint, "reporter", None)
    found = []
    for kind, raw in (
        (Kind.PHONE, reporter and reporter.phone),
        (Kind.EMAIL, reporter and reporter.email),
    ):
        if raw and (key := canonical(kind, raw)):
            found.append((kind, key))
    return found


def block_pranksters(event):
    """After an archive as prank: block each contact of its reporter whose reports were archived as prank
    SIKESAL_ABUSE["prank_block_after"] times within "prank_window_days" before it, for "block_days".
    Returns the new entries (none when the event is not such an archive, the sender is already blocked, or
    this event was counted already: the worker may run it twice)."""
    if event.action != Action.ARCHIVE or event.payload.get("reason") != ArchiveReason.PRANK:
        return []
    rules = settings.SIKESAL_ABUSE
    since = event.created_at - dt.timedelta(days=rules["prank_window_days"])
    pranks = Event.objects.filter(
        action=Action.ARCHIVE,
        payload__reason=ArchiveReason.PRANK,
        created_at__gt=since,
        created_at__lte=event.created_at,
    )
    added = []
    for kind, key in contacts_of(event.complaint):
        if BlockedSender.objects.filter(prank_event=event, kind=kind).exists() or block_for(kind, key):
            continue
        reports = list(
            Complaint.objects.filter(_written_forms(kind, key), pk__in=pranks.values("complaint_id"))
            .order_by("submitted_at")
            .values_list("tracking_number", flat=True)
        )
        if len(reports) < rules["prank_block_after"]:
            continue
        reason = _("%(n)d reports archived as not a complaint / prank within %(days)d days: %(reports)s") % {
            "n": len(reports),
            "days": rules["prank_window_days"],
            "reports": ", ".join(reports),
        }
        try:
            with transaction.atomic():
                added.append(
                    add(
                        kind,
                        key,
                        reason,
                        by=None,
                        now=event.created_at,
                        expires_at=event.created_at + dt.timedelta(days=rules["block_days"]),
                        prank_event=event,
                    )
                )
        except IntegrityError:
            continue  # another worker blocked it for this event meanwhile
    return added
