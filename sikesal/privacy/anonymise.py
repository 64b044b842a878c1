"""Anonymisation that keeps the public record and the statistics true.

What stays: the report (tracking number, type, service, area and map point, OPD, states, deadlines and
every timestamp), its timeline, its rating, and the files the OPD attached as its work. What goes: the
Reporter row's identity and contacts and its link to an account, the desk's note of the social-media post
and its scanned letter, the files the reporter sent, the addresses notifications went to, the messages
exchanged with the reporter on messaging channels, Web Push subscriptions, the Ombudsman file's identity,
and the routing suggestion's words (taken from the text).

The complaint's text is the public record, so it is kept but masked: the reporter's name (and each part of
it of three letters or more), e-mail addresses, Indonesian mobile numbers and runs of ten or more digits
(NIK, KK, customer numbers) are replaced by a bracketed word, in the title, the description, the answers
to the service's questions, the rating comment and every timeline message. A name the reporter did not
give (a neighbour, an official) is not found by this pass; the text of a rahasia report is not public.

Set-based: a call takes reports in chunks (`CHUNK`) and runs a handful of statements per chunk, whatever
the number of reports in it; only the masking reads the texts into Python, and only rows it changes are
written back. Idempotent: `Complaint.anonymised_at` is set in the same transaction, claimed through
core/leases.py, so a second run (or a second worker at the same time) skips what is done. Audited once per
call, not per report.

SP4N-LAPOR!: its API (integrations/lapor/mapping.py PATHS; docs/lapor.md) has no call that changes or
deletes a report or its reporter once created: create, upload, follow-up, disposition and reject only.
Nothing is sent for an anonymisation; the national copy is KemenPAN-RB's to erase, on a request the DPO
sends them (docs/privacy.md). Our reports carry the reporter's identity there only when they were not
anonymous (mapping.to_remote_complaint).
"""

import json
import re
from itertools import islice

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import CharField, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from sikesal.accounts.models import User, citizen_username
from sikesal.backoffice.models import AuditEntry
from sikesal.complaints import policy, senders
from sikesal.complaints.actions import Action
from sikesal.complaints.models import Attachment, BlockedSender, Complaint, DeskIntake, Event, Reporter
from sikesal.core import leases
from sikesal.integrations.inbound.models import Conversation, InboundMessage, OutboundMessage
from sikesal.integrations.notify.models import Notification
from sikesal.integrations.ombudsman.models import Escalation
from sikesal.integrations.webpush.models import PushSubscription
from sikesal.routing.models import Suggestion

CHUNK = 5000

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"(?:\+62|62|0)[ .-]?8[0-9](?:[ .-]?[0-9]){6,11}")
LONG_NUMBER = re.compile(r"[0-9]{10,}")
MASKS = ((EMAIL, "[email]"), (PHONE, "[telepon]"), (LONG_NUMBER, "[nomor]"))
NAME_MASK = "[nama]"


def name_pattern(*names):
    """A pattern of the names given and each of their parts of three letters or more, longest first, whole
    words only; None when there is nothing to look for."""
    words = set()
    for name in names:
        name = " ".join((name or "").split())
        if len(name) >= 3:
            words.add(name)
            words.update(part for part in name.split(" ") if len(part) >= 3)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def mask(text, names=None):
    """`text` with the names (a pattern from `name_pattern`), e-mail addresses, phone numbers and long
    numbers replaced."""
    if not text:
        return text
    for pattern, word in MASKS:  # contacts first: a name inside an e-mail address goes with the address
        text = pattern.sub(word, text)
    return names.sub(NAME_MASK, text) if names is not None else text


def mask_json(value, names):
    if isinstance(value, str):
        return mask(value, names)
    if isinstance(value, list):
        return [mask_json(v, names) for v in value]
    if isinstance(value, dict):
        return {k: mask_json(v, names) for k, v in value.items()}
    return value


def anonymise_reports(complaints, *, reason, actor=None):
    """Anonymise the reports `complaints` (a queryset or ids) not yet anonymised. Returns the counts."""
    ids = list(complaints.values_list("pk", flat=True)) if hasattr(complaints, "values_list") else list(complaints)
    counts = Counts()
    it = iter(sorted(ids))
    while chunk := list(islice(it, CHUNK)):
        claim_and_scrub(Complaint.objects.filter(pk__in=chunk), timezone.now(), counts)
    finish(actor, reason, counts, ids)
    return counts


def anonymise_reporters(reporter_ids, *, actor, reason):
    """The data subject's erasure (UU 27/2022 Pasal 8): anonymise the reports of these Reporter
    rows, delete every message exchanged with their contacts on messaging channels, remove their contacts
    from every notification, and close the citizen accounts that no longer have any report."""
    rows = list(Reporter.objects.filter(pk__in=list(reporter_ids)).values("complaint_id", "phone", "email", "user_id"))
    addresses = set()
    for row in rows:
        addresses.update(contact_forms(row["phone"], row["email"]))
    users = {row["user_id"] for row in rows if row["user_id"]}
    for user in User.objects.filter(pk__in=users).values("username", "email", "phone"):
        login_contact = user["username"].removeprefix(citizen_username(""))
        addresses.update(contact_forms(user["phone"], user["email"]) | contact_forms(login_contact, login_contact))
    counts = Counts()
    ids = sorted(row["complaint_id"] for row in rows)
    with transaction.atomic():
        it = iter(ids)
        while chunk := list(islice(it, CHUNK)):
            claim_and_scrub(Complaint.objects.filter(pk__in=chunk), timezone.now(), counts)
        if addresses:
            counts.messages += forget_addresses(addresses)
        counts.accounts += close_accounts(User.objects.filter(pk__in=users).exclude(reports__isnull=False))
    finish(actor, reason, counts, ids, reporters=len(rows))
    return counts


class Counts:
    """What one run changed, for the audit entry, the log and the command's output."""

    def __init__(self):
        self.reports = self.attachments = self.messages = self.accounts = 0

    def as_dict(self):
        return dict(self.__dict__)

    def __repr__(self):
        return ", ".join(f"{k} {v}" for k, v in self.__dict__.items())


def claim_and_scrub(rows, now, counts):
    """Claim the reports of `rows` not yet anonymised (setting anonymised_at to `now`) and scrub them, in one
    transaction: two workers never take the same report, and a crash leaves none half done."""
    with transaction.atomic():
        ids = leases.claim(rows.filter(anonymised_at__isnull=True).order_by("pk"), "anonymised_at", now, now, CHUNK)
        if ids:
            scrub(ids, counts)
    return ids


def among(ids):
    """`ids` as one parameter for `field__in=`: a list of thousands of ids costs Django's lookups a Python
    step per id and SQLite a variable each; an array (PostgreSQL) or a JSON list (SQLite) does not."""
    ids = [int(pk) for pk in ids]
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def scrub(ids, counts):
    """Remove the personal data of the reports `ids` (already claimed) in a few statements."""
    mask_texts(ids)
    Reporter.objects.filter(complaint_id__in=among(ids)).update(name="", phone="", email="", nik="", user=None)
    DeskIntake.objects.filter(complaint_id__in=among(ids)).update(post_url="")
    counts.attachments += delete_reporters_files(ids)
    forget_notified(Notification.objects.filter(event__complaint_id__in=among(ids)))
    answered = OutboundMessage.objects.filter(complaint_id__in=among(ids))
    counts.messages += InboundMessage.objects.filter(pk__in=answered.values("reply_to")).delete()[0]
    answered.update(to=anonymous_address(), body="", error="")
    PushSubscription.objects.filter(complaint_id__in=among(ids)).delete()
    drop_suggestion_words(ids)
    scrub_escalations(ids)
    counts.reports += len(ids)


def mask_texts(ids):
    """Mask the reporter's name, contacts and long numbers in the report's texts and its timeline."""
    reports = Complaint.objects.filter(pk__in=among(ids)).values_list(
        "pk", "title", "body", "rating_comment", "answers", "reporter__name", "escalation__full_name"
    )
    names, texts, answers = {}, [], []
    for pk, title, body, comment, given, name, full_name in reports:
        names[pk] = name_pattern(name, full_name)
        new = (mask(title, names[pk])[:200], mask(body, names[pk]), mask(comment, names[pk]))
        if new != (title, body, comment):
            texts.append((*new, pk))
        masked = mask_json(given, names[pk])
        if masked != given:
            answers.append(Complaint(pk=pk, answers=masked))
    table = connection.ops.quote_name(Complaint._meta.db_table)
    with connection.cursor() as cursor:
        if texts:
            cursor.executemany(f"UPDATE {table} SET title = %s, body = %s, rating_comment = %s WHERE id = %s", texts)  # noqa: S608
        messages = Event.objects.filter(complaint_id__in=among(ids)).exclude(message="")
        changed = [
            (new, pk)
            for pk, complaint, message in messages.values_list("pk", "complaint_id", "message")
            if (new := mask(message, names.get(complaint))) != message
        ]
        if changed:
            events = connection.ops.quote_name(Event._meta.db_table)
            cursor.executemany(f"UPDATE {events} SET message = %s WHERE id = %s", changed)  # noqa: S608
    if answers:
        Complaint.objects.bulk_update(answers, ["answers"], batch_size=500)


def reporters_files(ids):
    """The attachments of the reports `ids` that the reporter sent (with the report, or later as the
    reporter) and the desk's scanned letters; not the OPD's."""
    return Attachment.objects.filter(complaint_id__in=among(ids)).filter(
        Q(event__isnull=True)
        | Q(event__action=Action.SUBMIT)
        | Q(event__actor_role__in=policy.REPORTER)
        | Q(desk_letter_of__isnull=False)
    )


def delete_reporters_files(ids):
    """Delete `reporters_files(ids)`, their files once the transaction commits."""
    files = list(reporters_files(ids).values_list("pk", "file"))
    if not files:
        return 0
    pks = [pk for pk, _ in files]
    DeskIntake.objects.filter(letter_id__in=pks).update(letter=None)
    Attachment.objects.filter(pk__in=pks).delete()
    names = [name for _, name in files if name]
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
    return len(files)


def drop_suggestion_words(ids):
    """The routing suggestion keeps which OPD and service it proposed, not the words it read in the text."""
    table = connection.ops.quote_name(Suggestion._meta.db_table)
    removed = "data - 'words'" if connection.vendor == "postgresql" else "json_remove(data, '$.words')"
    ids_sql, params = among(ids).as_sql(None, connection)
    with connection.cursor() as cursor:
        sql = f"UPDATE {table} SET data = {removed} WHERE complaint_id IN {ids_sql}"  # noqa: S608 - no input
        cursor.execute(sql, params)


def scrub_escalations(ids):
    """The Ombudsman file was delivered: our copy keeps its state and dates, and of the person only the
    year of birth (generalised, so the row stays valid). Rare: a handful per thousand reports."""
    for escalation in Escalation.objects.filter(complaint_id__in=among(ids)):
        names = name_pattern(escalation.full_name)
        escalation.full_name = escalation.birth_place = escalation.occupation = escalation.address = ""
        escalation.nik = escalation.phone = escalation.email = ""
        escalation.birth_date = escalation.birth_date.replace(month=1, day=1)
        escalation.losses, escalation.remedy = mask(escalation.losses, names), mask(escalation.remedy, names)
        escalation.file_json, escalation.file_pdf = {}, b""
        escalation.save()


def contact_forms(phone, email):
    """Every form a contact is stored in: as written, canonical (+62…), as WhatsApp writes it (62…)."""
    forms = {phone or "", (email or "").strip().lower()}
    canonical = senders.canonical(BlockedSender.Kind.PHONE, phone) if phone else None
    if canonical:
        forms.update({canonical, canonical.lstrip("+")})
    return forms - {""}


def forget_addresses(addresses):
    """Delete the messages from and to `addresses` on messaging channels and their conversations, and
    replace them in notifications."""
    addresses = list(addresses)
    deleted = InboundMessage.objects.filter(sender__in=addresses).delete()[0]
    deleted += OutboundMessage.objects.filter(to__in=addresses).delete()[0]
    Conversation.objects.filter(sender__in=addresses).delete()
    forget_notified(Notification.objects.filter(to__in=addresses))
    return deleted


def forget_notified(notifications):
    """Notifications keep their channel, time and outcome, not whom they went to: the address becomes
    `anon:<id>`, and a failure's reason goes too (a mail server's bounce or a platform's refusal names the
    address). Returns how many were changed."""
    return notifications.update(to=anonymous_address(), last_error="")


def anonymous_address():
    """The address a row keeps once its person is forgotten: `anon:<its id>`, unique as addresses must be."""
    return Concat(Value("anon:"), Cast("pk", CharField()))


def close_accounts(users):
    """Close citizen accounts (log-in by one-time code, `warga:<contact>`): their contact and names go and
    they can no longer log in. Staff accounts are never touched."""
    return users.filter(username__startswith=citizen_username("")).update(
        username=Concat(Value(citizen_username("anon-")), Cast("pk", CharField())),
        email="",
        phone="",
        first_name="",
        last_name="",
        is_active=False,
        password="!",  # noqa: S106 - Django's mark of an unusable password
    )


def finish(actor, reason, counts, ids, **detail):
    """After a run: the search index forgets the masked words, and one audit entry records the run."""
    if counts.reports:
        purge_search_index()
    audit(actor, reason, counts, ids, **detail)


def purge_search_index():
    """SQLite's full-text index (complaints migration 0002) keeps a replaced text's words in its older
    segments until they are merged: merge them, so the masked name cannot be found by searching for it.
    PostgreSQL's GIN index drops the old row versions when (auto)vacuum runs."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO complaint_fts(complaint_fts) VALUES ('optimize')")


def audit(actor, reason, counts, ids, **detail):
    """One audit entry per run, naming the report when there was only one. `actor`: a User, a policy Actor,
    or None for the system (retention)."""
    AuditEntry.objects.create(
        user=actor if isinstance(actor, User) else getattr(actor, "user", None),
        kind=AuditEntry.Kind.ANONYMISE,
        complaint_id=ids[0] if len(ids) == 1 else None,
        reason=reason,
        detail={**counts.as_dict(), **detail},
    )
