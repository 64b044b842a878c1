"""Submission: a new report through the one door, from every channel (web, REST, Open311, SP4N-LAPOR!,
the demo data). Cleans the input (intake.py), creates the report, its reporter row and its first event in
one transaction, idempotently when the channel gives a key."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sikesal.complaints import policy
from sikesal.complaints.actions import Action
from sikesal.complaints.deadlines import fields as deadline_fields
from sikesal.complaints.deadlines import initial_deadlines, refresh_deadlines
from sikesal.complaints.errors import InvalidInput, InvalidTransition, NotAllowed
from sikesal.complaints.events import Result, new_event, prepared_event, save_events, store_attachment
from sikesal.complaints.intake import clean_report, without_controls
from sikesal.complaints.models import Complaint, Reporter, hash_secret
from sikesal.complaints.states import Status, Visibility
from sikesal.core.prepared import PreparedInsert

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


def _replay(key, data=None):
    """The report already filed under this key, with its private link: only for the same report sent again
    (a lost answer). The same key with other content (`data`) is someone else's key (guessed, copied from
    another browser or another caller), and gets a refusal, never the first reporter's link. (A batch from
    SP4N-LAPOR!, keyed by the national ids, passes no data: its twin may have been edited there meanwhile.)"""
    # Mostly no report has the key: asked for its id alone first (the whole report's SELECT, some forty
    # columns, cost every filing more to compile than to run).
    found = Complaint.objects.filter(idempotency_key=key).values_list("pk", flat=True).first()
    if found is None:
        return None
    existing = Complaint.objects.get(pk=found)
    title = " ".join(str(without_controls((data or {}).get("title") or "")).split())
    body = str(without_controls((data or {}).get("body") or "")).strip()
    if data is not None and (title, body) != (existing.title, existing.body):
        raise InvalidTransition(
            "idempotency_key_reused", _("This idempotency key was already used for another report; use a new one.")
        )
    return Result(existing, existing.events.order_by("id").first(), secret=_secret_for(key), replayed=True)


def submit(actor, data, files=(), *, now=None, received_at=None, held_by=None):
    """File a new report. Validates everything first; an idempotency key makes repeats harmless.

    `held_by`: the block list entry of its sender (complaints/senders.py `check`): the report is kept,
    marked and waits for the admin.

    `received_at`: when the complaint reached the city, for one recorded later (a letter, a call taken at the
    desk): the report is received then and its deadlines count from it; its first event is written `now`."""
    if not policy.may(actor, Action.SUBMIT, None):
        raise NotAllowed("not_allowed", _("You may not file reports here."))
    key = data.get("idempotency_key")
    if key and (replay := _replay(key, data)):
        return replay
    cleaned = clean_report(data, files)
    now = now or timezone.now()
    secret = _secret_for(cleaned["idempotency_key"])
    # Everything but the writes is made before the transaction: on SQLite the transaction holds the one
    # write lock that every report filed meanwhile waits for.
    c = _new_complaint(cleaned, secret, received_at or now, _unused_tracking_number(now, 4))
    c.held_by = held_by
    stored = []
    try:
        for attempt in range(1, 9):
            # The rows, and their SQL, made again with each try (another number, the links to c).
            reporter = _new_reporter(actor, c, cleaned)
            event = new_event(c, Action.SUBMIT, actor, now, "", Visibility.PUBLIC, "", _submit_payload(c, cleaned))
            inserts = [PreparedInsert(c)] + ([PreparedInsert(reporter, complaint=c)] if reporter else [])
            first_event = prepared_event(event, c)
            try:
                with transaction.atomic():
                    for insert in inserts:
                        insert.run()
                    for checked in cleaned["attachments"]:
                        store_attachment(c, checked, stored)
                    first_event()
                    return Result(c, event, secret=secret)
            except IntegrityError:
                for f in stored:
                    f.delete(save=False)
                stored.clear()
                if key and (replay := _replay(key, data)):
                    return replay
                c.pk, c._state.adding = None, True  # another report took the number meanwhile: draw again
                c.tracking_number = _unused_tracking_number(now, 4 if attempt < 4 else 6)
        raise IntegrityError("could not allocate a tracking number")
    except BaseException:
        for f in stored:
            f.delete(save=False)
        raise


def _unused_tracking_number(now, length):
    """A new number not taken yet, looked up before the transaction (a unique index still decides)."""
    table = connection.ops.quote_name(Complaint._meta.db_table)
    with connection.cursor() as cursor:
        for _ in range(4):
            number = new_tracking_number(now, length)
            cursor.execute(f"SELECT 1 FROM {table} WHERE tracking_number = %s", [number])  # noqa: S608
            if cursor.fetchone() is None:
                break
    return number


def _new_complaint(cleaned, secret, now, tracking_number, deadlines=None):
    """The report row `submit` writes, with its deadlines, not yet saved. `deadlines` (a dict kept by the
    caller across reports filed at the same `now`) keeps them per service instead of computing again."""
    c = Complaint(
        tracking_number=tracking_number,
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
    key = cleaned["service"].pk if cleaned["service"] is not None else None
    if deadlines is not None and key in deadlines:
        for name, value in deadlines[key].items():
            setattr(c, name, value)
        return c
    initial_deadlines(c, now)
    refresh_deadlines(c)
    if deadlines is not None:
        # What initial_deadlines and refresh_deadlines set: a function of `now` and the service.
        deadlines[key] = {name: getattr(c, name) for name in (*deadline_fields(), "due_at", "next_sweep_at")}
    return c


def _new_reporter(actor, c, cleaned):
    """The restricted reporter row of a new report, not yet saved; None when nothing identifies anyone."""
    identity = cleaned["reporter"]
    user = identity.get("user") or policy.reporter_account(actor)
    if user is not None or any(identity[k] for k in ("name", "phone", "email", "nik")):
        fields = {k: identity[k] for k in ("name", "phone", "email", "nik")}
        return Reporter(complaint=c, user=user, language=_filing_language(), **fields)
    return None


def _filing_language():
    """The language the report is filed in: the web form's active language, the conversation's (the
    messaging channels file under it), Indonesian for everything else."""
    active = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return active if active in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _submit_payload(c, cleaned):
    payload = {"channel": c.channel, "attachments": len(cleaned["attachments"])}
    if c.held_by_id:
        payload["held_by"] = c.held_by_id
    return payload


# --- Many at once ---------------------------------------------------------------------------------------

MAX_TRACKING_ATTEMPTS = 8  # as `submit`: four tries at 4 characters, then 6


def submit_many(actor, datas, *, now=None, extra=None):
    """`submit` for many reports without files at once (the SP4N-LAPOR! backfill): the same validation
    (clean_report), numbering, secrets, deadlines, reporter rows and first event, and the same side
    effects (a dispatch task per event, the recorders), written with a few bulk inserts in one
    transaction. Returns a list parallel to `datas`: a Result, or the InvalidInput that refused that
    report (nothing written for it). `extra`, parallel to `datas`, holds fields no form sets that the
    channel records with the report (the SP4N-LAPOR! twin's ids). A key already used is replayed as `submit` would; a key repeated
    inside `datas` makes one report, the repeats are replays of it.

    An IntegrityError (a concurrent writer took a number or a key meanwhile) rolls the whole batch back
    and is raised: the caller then files the reports one by one with `submit`."""
    if not policy.may(actor, Action.SUBMIT, None):
        raise NotAllowed("not_allowed", _("You may not file reports here."))
    now = now or timezone.now()
    results = [None] * len(datas)
    keys = [d.get("idempotency_key") for d in datas]
    wanted = [k for k in keys if isinstance(k, str) and k]
    existing = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        existing.update({c.idempotency_key: c for c in Complaint.objects.filter(idempotency_key__in=chunk)})
    first_of_key = {}
    fresh = []  # (index, cleaned, secret)
    for i, (data, key) in enumerate(zip(datas, keys, strict=True)):
        if key and key in existing:
            results[i] = _replay(key)
            continue
        if key and key in first_of_key:
            continue  # filled in below, once the first report of this key exists
        try:
            cleaned = clean_report(data)
        except InvalidInput as exc:
            results[i] = exc
            continue
        if key:
            first_of_key[key] = i
        fresh.append((i, cleaned, _secret_for(cleaned["idempotency_key"])))
    if fresh:
        with transaction.atomic():
            numbers = _allocate_tracking_numbers(now, len(fresh))
            deadlines = {}  # one `now` for the batch: the same deadlines for the same service
            complaints = [
                _new_complaint(cleaned, secret, now, number, deadlines)
                for (_i, cleaned, secret), number in zip(fresh, numbers, strict=True)
            ]
            for c, (i, _cleaned, _secret) in zip(complaints, fresh, strict=True):
                for name, value in (extra[i] if extra else {}).items():
                    setattr(c, name, value)
            Complaint.objects.bulk_create(complaints)
            reporters = [
                _new_reporter(actor, c, cleaned) for c, (_i, cleaned, _s) in zip(complaints, fresh, strict=True)
            ]
            Reporter.objects.bulk_create([r for r in reporters if r is not None])
            events = [
                new_event(c, Action.SUBMIT, actor, now, "", Visibility.PUBLIC, "", _submit_payload(c, cleaned))
                for c, (_i, cleaned, _s) in zip(complaints, fresh, strict=True)
            ]
            save_events(events)
        for c, event, (i, _cleaned, secret) in zip(complaints, events, fresh, strict=True):
            results[i] = Result(c, event, secret=secret)
    for i, key in enumerate(keys):
        if results[i] is None:  # a repeat of a key first seen in this batch
            first = results[first_of_key[key]]
            results[i] = (
                Result(first.complaint, first.event, secret=first.secret, replayed=True)
                if isinstance(first, Result)
                else first
            )
    return results


def _allocate_tracking_numbers(now, count):
    """`count` distinct new tracking numbers none of which is taken, drawn as `submit` draws them (a taken
    number is drawn again: four times at 4 characters, then at 6)."""
    numbers = [None] * count
    attempts = [0] * count
    chosen = set()
    todo = list(range(count))
    while todo:
        drawn = {}
        for i in todo:
            if attempts[i] >= MAX_TRACKING_ATTEMPTS:
                raise IntegrityError("could not allocate a tracking number")
            number = new_tracking_number(now, 4 if attempts[i] < 4 else 6)
            attempts[i] += 1
            if number not in chosen and number not in drawn:
                drawn[number] = i
        taken = set()
        candidates = list(drawn)
        for start in range(0, len(candidates), 500):
            chunk = candidates[start : start + 500]
            taken.update(Complaint.objects.filter(tracking_number__in=chunk).values_list("tracking_number", flat=True))
        for number, i in drawn.items():
            if number not in taken:
                numbers[i] = number
                chosen.add(number)
        todo = [i for i in todo if numbers[i] is None]
    return numbers
