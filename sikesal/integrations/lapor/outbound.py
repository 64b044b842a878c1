"""Outbound: local changes become SP4N-LAPOR! calls, through a durable outbox.

`on_event` (a timeline side effect) only writes outbox rows; `push` sends them. A row is leased
(core/leases.py) before its call and finished after it, so a worker killed mid-call leaves a row that
another run retries after the lease ends.

SP4N-LAPOR! honours no idempotency key that we know of, so "exactly once" is ours to keep: before a
create or a follow-up goes out the row is marked *unsure*; if the answer is lost (a timeout, a 500 that
may have committed, a killed worker) the next attempt first looks for it on SP4N-LAPOR! (a create by
the ticket line at the start of its content, a follow-up by its text) and sends again only when it is
not there. Where the service has no list to look in, the create is parked as an *unknown outcome*,
counted by reconcile, never sent blindly twice, and looked for again once the list answers
(`requeue_unknown`); a link found by any path releases it and the rows behind it (twins.release).
"""

import datetime as dt
import logging
import threading
import time

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks import task

from sikesal.complaints.actions import Action
from sikesal.complaints.models import Attachment, Complaint
from sikesal.complaints.states import Channel, Visibility
from sikesal.core import leases
from sikesal.integrations.lapor import mapping, masters
from sikesal.integrations.lapor.client import (
    AuthFailed,
    LaporClient,
    LaporError,
    Missing,
    Rejected,
    Unavailable,
    is_enabled,
)
from sikesal.integrations.lapor.health import record_calls
from sikesal.integrations.lapor.models import (
    Conflict,
    Link,
    Master,
    Outbox,
    OutboxKind,
    OutboxStatus,
    RemoteFollowup,
    SyncState,
)
from sikesal.integrations.lapor.twins import apply_remote, link

log = logging.getLogger("sikesal.lapor")
LEASE = dt.timedelta(minutes=2)
PUSH_PRIORITY = 10  # below the periodic sync, above ordinary side effects (tasks.py)
K = OutboxKind


# --- From events to rows ------------------------------------------------------------------------------


def on_event(event):
    """Queue what this event means for SP4N-LAPOR! Runs inside the change's transaction; idempotent."""
    if not is_enabled() or event.action == Action.LAPOR_MIRROR:
        return
    c = event.complaint
    action = event.action
    at_verification = settings.LAPOR_OUTBOUND_AT == "verification"
    mirrored = c.channel == Channel.LAPOR or Outbox.objects.filter(complaint=c, kind=K.CREATE).exists()
    if action == Action.SUBMIT:
        # a report held because its sender is blocked goes out only once the admin verifies it
        if c.channel != Channel.LAPOR and not at_verification and c.held_by_id is None:
            _queue(c, K.CREATE, event=None, hold=settings.LAPOR_FLAGS_HOLD_SECONDS)
        return
    if action == Action.VERIFY and mirrored:
        # the admin's check is when anonim/rahasia are final: a create still held for it goes now
        Outbox.objects.filter(complaint=c, kind=K.CREATE, status=OutboxStatus.PENDING, attempts=0).update(
            next_attempt_at=timezone.now()
        )
    if action in (Action.VERIFY, Action.FORWARD_EXTERNAL) and not mirrored and c.channel != Channel.LAPOR:
        _queue(c, K.CREATE, event=None)  # verification policy (or forwarded before verification)
        mirrored = True
        if action == Action.VERIFY:
            return  # the create carries the OPD
    if not mirrored:
        return
    if action in mapping.ROUTE_EVENTS:
        _queue(c, K.ROUTE, event)
    elif action in mapping.REJECT_EVENTS:
        _queue(c, K.REJECT, event)
    elif action in mapping.FOLLOWUP_EVENTS and event.visibility != Visibility.STAFF:
        _queue(c, K.FOLLOWUP, event)


def on_events(events):
    """on_event for many events of one transaction (the set-based deadline sweep): the same rows, written
    with one read and one insert. An event that may create the report on SP4N-LAPOR! goes through
    on_event itself; the others can only add a route, reject or follow-up row to a mirrored report.
    Those others are read by their fields only (pk, action, visibility, complaint_id, complaint.channel):
    the sweep passes light rows, not Event instances (sweep._NewEvent)."""
    if not is_enabled():
        return
    rows = []
    for event in events:
        action = event.action
        if action == Action.LAPOR_MIRROR:
            continue
        if action in (Action.SUBMIT, Action.VERIFY, Action.FORWARD_EXTERNAL):
            on_event(event)
        elif action in mapping.ROUTE_EVENTS:
            rows.append((event, K.ROUTE))
        elif action in mapping.REJECT_EVENTS:
            rows.append((event, K.REJECT))
        elif action in mapping.FOLLOWUP_EVENTS and event.visibility != Visibility.STAFF:
            rows.append((event, K.FOLLOWUP))
    if not rows:
        return
    ids = {event.complaint_id for event, _ in rows}
    mirrored = {event.complaint_id for event, _ in rows if event.complaint.channel == Channel.LAPOR} | set(
        Outbox.objects.filter(complaint_id__in=ids, kind=K.CREATE).values_list("complaint_id", flat=True)
    )
    now = timezone.now()
    new = [
        Outbox(complaint_id=event.complaint_id, kind=kind, event_id=event.pk, next_attempt_at=now)
        for event, kind in rows
        if event.complaint_id in mirrored
    ]
    if new:
        Outbox.objects.bulk_create(new, ignore_conflicts=True)  # an event has at most one row
        transaction.on_commit(enqueue_push)


def _queue(complaint, kind, event, hold=0):
    """`hold`: seconds a create waits for its flags to be final (the admin's verification ends it early):
    SP4N-LAPOR! offers no call that changes anonim/rahasia once a report is there (docs/lapor.md)."""
    try:
        with transaction.atomic():
            _, created = Outbox.objects.get_or_create(
                complaint=complaint,
                kind=kind,
                event=event,
                defaults={"next_attempt_at": timezone.now() + dt.timedelta(seconds=hold or 0)},
            )
    except IntegrityError:  # a create row already exists (the one-create constraint)
        return
    if created:
        transaction.on_commit(enqueue_push)  # quickly, rather than at the next periodic sync


def replay(complaint):
    """Queue a report that never went out (filed while the integration was off) with its true history:
    created, then every public change in order, so SP4N-LAPOR! ends where the local report is."""
    from sikesal.complaints.models import Event

    with transaction.atomic():
        for event in Event.objects.filter(complaint=complaint).order_by("id"):
            on_event(event)
        if not Outbox.objects.filter(complaint=complaint, kind=K.CREATE).exists():
            _queue(complaint, K.CREATE, None)  # e.g. a report without a submit event (imported)


def never_sent():
    """Local reports the outbound policy sends that have neither an outbox row nor a twin."""
    policy = Q() if settings.LAPOR_OUTBOUND_AT != "verification" else Q(verified_at__isnull=False)
    return (
        Complaint.objects.filter(policy)
        .exclude(channel=Channel.LAPOR)
        .exclude(Exists(Outbox.objects.filter(complaint=OuterRef("pk"), kind=K.CREATE)))
        .filter(lapor_link__isnull=True)
    )


def backfill(limit=500):
    """Once after the integration is switched on: replay the reports filed while it was off (the demo's
    among them), so a fresh installation agrees with SP4N-LAPOR! without a manual repair."""
    state, _ = SyncState.objects.get_or_create(key="backfill")
    if state.value.get("done"):
        return 0
    pks = list(never_sent().order_by("pk").values_list("pk", flat=True)[:limit])
    for complaint in Complaint.objects.filter(pk__in=pks).order_by("pk"):
        replay(complaint)
    if len(pks) < limit:
        SyncState.objects.filter(pk=state.pk).update(value={**state.value, "done": True})
    return len(pks)


# --- Sending ----------------------------------------------------------------------------------------


class MissingId(ValueError):
    """A LAPOR! id the master does not confirm: the call is held until the master (or an admin) has it."""


def _claim(now, tried=()):
    """Lease the oldest due row whose report has no earlier row still waiting (order per report).

    Oldest by the order rows were queued, not by due time: after an outage the rows that waited longest
    have backed off longest, and ordering by due time sent them last. A row in flight is still pending,
    so the rows after it wait: never two calls for one report at once."""
    earlier = Outbox.objects.filter(complaint=OuterRef("complaint"), id__lt=OuterRef("id")).filter(
        Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.PARKED, kind=K.CREATE)
    )
    due = (
        Outbox.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .exclude(Exists(earlier))
        .exclude(id__in=list(tried))
        .order_by("id")
    )
    claimed = leases.claim(due, "leased_until", now, now + LEASE, 1)
    return Outbox.objects.select_related("event").get(pk=claimed[0]) if claimed else None


@task(priority=PUSH_PRIORITY)
def lapor_push():
    """Send the outbox right away (enqueued when a local change queues something for SP4N-LAPOR!)."""
    try:
        return push()
    except LaporError as exc:
        log.warning("lapor push: %s", exc)
        return {"error": str(exc)}


def enqueue_push():
    """Start a push unless one is already waiting to run."""
    from django_tasks_db.models import DBTaskResult

    if not DBTaskResult.objects.filter(task_path=lapor_push.module_path, status="READY").exists():
        lapor_push.enqueue()


def retry_held():
    """Rows held for a missing institution id go again once the master confirms one; rows an older
    version parked after a 401/403 (credentials, not content) go again as soon as calls succeed."""
    Outbox.objects.filter(status=OutboxStatus.PARKED).filter(
        Q(last_error__startswith="401") | Q(last_error__startswith="403")
    ).update(status=OutboxStatus.PENDING, next_attempt_at=timezone.now(), leased_until=None)
    for row in Outbox.objects.filter(status=OutboxStatus.PARKED, state__held="missing_id").select_related(
        "complaint__forwarded_to"
    ):
        if masters.institution_id(row.complaint.forwarded_to, fallback_to_city=False):
            state = {k: v for k, v in row.state.items() if k != "held"}
            Outbox.objects.filter(pk=row.pk).update(
                status=OutboxStatus.PENDING, state=state, next_attempt_at=timezone.now()
            )
    requeue_unknown()


def requeue_unknown():
    """Creates held as an unknown outcome are looked for again once the list answers again (the pull
    before this push read it): the next attempt finds the copy and links it, or, when a full reading
    shows it is not there, sends it. Without a list they stay held, counted, for a person."""
    from sikesal.integrations.lapor.health import list_answers

    if not mapping.call_enabled("list") or not list_answers():
        return
    for row in Outbox.objects.filter(status=OutboxStatus.PARKED, kind=K.CREATE, state__held="unknown_outcome"):
        state = {k: v for k, v in row.state.items() if k != "held"}
        Outbox.objects.filter(pk=row.pk).update(
            status=OutboxStatus.PENDING, state=state, next_attempt_at=timezone.now(), leased_until=None
        )


def push(client=None, *, max_seconds=None, progress=None):
    """Send every due outbox row, LAPOR_PUSH_CONCURRENCY calls at a time. Returns counts: sent, retry,
    parked.

    Each sender thread claims its own rows (_claim keeps a report's rows in order, one at a time) and does
    its database work outside any transaction of ours, on its own connection. Inside a caller's
    transaction the threads could not see its rows, so the push then runs on the caller's thread alone."""
    if not is_enabled():
        return {"sent": 0, "retry": 0, "parked": 0}
    own = client is None
    client = client or LaporClient()
    run = _Run(time.monotonic() + (max_seconds or settings.LAPOR_SYNC_MAX_SECONDS), progress, client)
    client.lost_creates = LostCreates(client)  # one reading of the list for every lost create of this run
    try:
        if not Master.objects.filter(kind="institutions").exists():
            from sikesal.integrations.lapor.masters import sync_masters

            try:
                sync_masters(client)  # the OPDs' ids are needed first; without them the city's id is used
            except Unavailable as exc:
                log.warning("lapor masters not synced yet: %s", exc)
        retry_held()
        backfill()
        threads = max(1, settings.LAPOR_PUSH_CONCURRENCY)
        if threads == 1 or connection.in_atomic_block:
            run.send_all()
        else:
            pool = [threading.Thread(target=run.send_all, args=(True,), daemon=True) for _ in range(threads)]
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
            if run.failed is not None:
                raise run.failed
    finally:
        record_calls(client.calls)
        if own:
            client.close()
    return run.counts


class _Run:
    """What the sender threads of one push share: the deadline, the counts, the rows already tried (one
    attempt per row and run: a failing row waits for its backoff, not this loop), and one budget of
    waiting: a Retry-After pauses every thread, not only the one that was told."""

    def __init__(self, deadline, progress, client):
        self.deadline = deadline
        self.progress = progress
        self.client = client
        self.lock = threading.Lock()
        self.counts = {"sent": 0, "retry": 0, "parked": 0}
        self.tried = set()
        self.in_flight = 0
        self.paused_until = 0.0
        self.failures = 0  # failed calls since the last answer: LAPOR! is likely down, stop asking
        self.answered = False
        self.stopped = False
        self.failed = None  # an unexpected error on a thread, raised by push

    def send_all(self, own_connection=False):
        try:
            while not self.stopped:
                now = time.monotonic()
                if now >= self.deadline:
                    break
                if self.paused_until > now:
                    time.sleep(min(self.paused_until, self.deadline) - now)
                    continue
                with self.lock:
                    tried = list(self.tried)
                    self.in_flight += 1
                try:
                    row = _claim(timezone.now(), tried)
                    outcome = send(row, self.client) if row is not None else None
                finally:
                    with self.lock:
                        self.in_flight -= 1
                if row is None:
                    if not self.in_flight:
                        break
                    time.sleep(0.02)  # the rows left may wait on a report's row in flight on another thread
                    continue
                self._note(row, outcome)
        except Exception as exc:
            self.failed, self.stopped = exc, True
        finally:
            if own_connection:
                connection.close()

    def _note(self, row, outcome):
        error = getattr(row, "error", None)
        first_answer = False
        with self.lock:
            self.counts[outcome] += 1
            if outcome == "retry":
                self.tried.add(row.pk)
            if error is None:
                self.failures = 0
                first_answer, self.answered = not self.answered, True
            else:
                self.failures += 1
                if error.retry_after:
                    self.paused_until = max(self.paused_until, time.monotonic() + error.retry_after)
                # every call would fail the same way (credentials, or nothing answers), or LAPOR! asks
                # for a longer pause than a call may wait: the next run
                long_pause = (error.retry_after or 0) > settings.LAPOR_MAX_RETRY_WAIT
                if isinstance(error, AuthFailed) or long_pause or self.failures >= FAILURES_TO_STOP:
                    self.stopped = True
            counts = dict(self.counts)
        if first_answer:
            # LAPOR! answers: if it was down, the rows that backed off are due again now (health.py),
            # so the oldest go first rather than after their backoff
            record_calls({name: dict(entry) for name, entry in list(self.client.calls.items())})
        if self.progress:
            self.progress(counts)


FAILURES_TO_STOP = 20


def _settling(row):
    """Seconds until a write whose answer was lost may be looked for on SP4N-LAPOR!: a request that
    outlived our timeout can still be carried out there, and a look before it is would send it twice."""
    if not (row.state.get("unsure") and row.state.get("attempted_at")):
        return 0.0
    since = (timezone.now() - dt.datetime.fromisoformat(row.state["attempted_at"])).total_seconds()
    return max(0.0, settings.LAPOR_UNSURE_SETTLE_SECONDS - since)


def send(row, client):
    wait = _settling(row)
    if wait:  # claimed early (a worker killed mid-call, a manual retry): not yet
        Outbox.objects.filter(pk=row.pk).update(
            leased_until=None, next_attempt_at=timezone.now() + dt.timedelta(seconds=wait)
        )
        return "retry"
    row.attempts += 1
    Outbox.objects.filter(pk=row.pk).update(attempts=row.attempts)
    try:
        SENDERS[row.kind](row, client)
    except Unavailable as exc:  # AuthFailed among them: retried, never parked
        row.error = exc
        if exc.maybe_done:
            row.state["unsure"] = True  # look on SP4N-LAPOR! before sending it again
        wait = settings.LAPOR_RETRY_BASE_SECONDS * 2 ** min(row.attempts - 1, 10)
        wait = max(min(wait, settings.LAPOR_RETRY_MAX_SECONDS), exc.retry_after or 0, _settling(row))
        Outbox.objects.filter(pk=row.pk).update(
            leased_until=None,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=wait),
            last_error=str(exc)[:2000],
            state=row.state,
        )
        return "retry"
    except UnknownOutcome as exc:
        return _park(row, exc, held="unknown_outcome")
    except MissingId as exc:
        return _park(row, exc, held="missing_id")
    except Rejected as exc:
        if exc.status == 409:
            return supersede(row, exc, client)
        return _park(row, exc)
    except ValueError as exc:
        return _park(row, exc)
    Outbox.objects.filter(pk=row.pk).update(
        status=OutboxStatus.DONE, leased_until=None, done_at=timezone.now(), last_error="", state=row.state
    )
    return "sent"


def _park(row, exc, held=None):
    log.warning("lapor outbox %s (%s) parked: %s", row.pk, row.kind, exc)
    if held:
        row.state["held"] = held
    Outbox.objects.filter(pk=row.pk).update(
        status=OutboxStatus.PARKED, leased_until=None, last_error=str(exc)[:2000], state=row.state
    )
    return "parked"


def supersede(row, exc, client):
    """SP4N-LAPOR! refused the change because the report is already final there (the reporter closed it
    first). The written rule: the remote close wins; the local report follows it, our change stays on
    the local timeline, and the conflict is recorded for the health page (docs/lapor.md)."""
    Outbox.objects.filter(pk=row.pk).update(
        status=OutboxStatus.SUPERSEDED, leased_until=None, done_at=timezone.now(), last_error=str(exc)[:2000]
    )
    try:
        detail = client.detail(_remote_id(row)).get("data")
        d = mapping.from_remote_report(detail)
    except (Unavailable, Missing, Rejected, ValueError) as err:  # the next pull reads it anyway
        log.info("lapor outbox %s superseded; remote not read now: %s", row.pk, err)
        d = None
    c = Complaint.objects.get(pk=row.complaint_id)
    Conflict.objects.create(
        complaint=c,
        local_status=c.status,
        remote_status=d["status_code"] if d else None,
        detail=f"{row.get_kind_display()} tidak diterima SP4N-LAPOR!: {exc}"[:2000],
        rule=Conflict.Rule.REMOTE_FINAL_WINS,
        resolved_at=timezone.now(),
    )
    if d is not None:
        Link.objects.filter(complaint_id=c.pk).update(remote_status=None)  # apply the remote state now
        apply_remote(d, client)
    return "sent"


class UnknownOutcome(ValueError):
    """A create may have reached SP4N-LAPOR! and there is no list to look for it: a person decides."""


def _save_state(row):
    Outbox.objects.filter(pk=row.pk).update(state=row.state)


def _files(attachments):
    out = []
    for att in attachments:
        with att.file.open("rb") as fh:
            # our own name, not the citizen's file name (it can carry a name or an NIK)
            out.append((f"lampiran-{att.pk}.{att.extension.lstrip('.')}", att.content_type, fh.read()))
    return out


PULL_MARGIN = dt.timedelta(minutes=2)  # more than the clocks of both sides may differ


class LostCreates:
    """Looks on SP4N-LAPOR! for creates whose answer was lost: the city's list since the earliest such
    attempt, read for our ticket lines. One reading serves every such row of a push run; a ticket not
    found is looked for in a second reading before the create is sent again, because a list ordered by
    change time shifts under its reader (a report can slip past a page boundary while others change)."""

    READINGS = 2

    def __init__(self, client):
        self.client = client
        self.lock = threading.Lock()  # the push's threads share one reading
        self.since = None
        self.readings = 0
        self.found = {}
        self.by_text = {}  # title and text -> item: a copy whose tags and ticket line were dropped

    def find(self, complaint, attempted_at):
        with self.lock:
            return self._find(complaint, attempted_at)

    def _find(self, complaint, attempted_at):
        unknown = UnknownOutcome(
            f"Hasil pengiriman {complaint.tracking_number} tidak diketahui dan SP4N-LAPOR! tidak menyediakan "
            "daftar laporan untuk memeriksanya. Dicari lagi sendiri begitu daftar tersedia; atau cari di "
            "SP4N-LAPOR! lalu tautkan nomornya (atau kirim ulang bila memang tidak ada)."
        )
        if not mapping.call_enabled("list"):
            raise unknown
        since = dt.datetime.fromisoformat(attempted_at) - PULL_MARGIN
        if self.since is None or since < self.since:
            self.since, self.readings = since, 0  # read again from the earlier point
        text = mapping.content_key(complaint.title, complaint.body)
        while not self._has(complaint, text) and self.readings < self.READINGS:
            try:
                self._read()
            except Missing as exc:
                raise unknown from exc
            self.readings += 1
        return self.found.get(complaint.tracking_number) or self.by_text.get(text)

    def _has(self, complaint, text):
        return complaint.tracking_number in self.found or text in self.by_text

    def _read(self):
        for page in range(1, 401):
            results = self.client.list_page(mapping.format_since(self.since), page, page_size=500)
            items = results.get("data") or []
            for item in items:
                tracking = mapping.tracking_of(item)
                if tracking:
                    self.found.setdefault(tracking, item)
                elif isinstance(item, dict):
                    self.by_text.setdefault(mapping.content_key(item.get("title"), item.get("content")), item)
            if not items or page >= int(results.get("last_page") or 1):
                return


def _send_create(row, client):
    c = Complaint.objects.select_related("institution", "service", "area").get(pk=row.complaint_id)
    if hasattr(c, "lapor_link"):  # the pull already linked it by its ticket line (the answer was lost)
        row.state["complaint_id"] = c.lapor_link.remote_id
        return
    if row.state.get("unsure"):
        lost = getattr(client, "lost_creates", None) or LostCreates(client)
        found = lost.find(c, row.state["attempted_at"])
        if found is not None:
            link(c, str(found["id"]), str(found.get("tracking_id") or ""), Link.Origin.LOCAL, found_by="list")
            row.state.update(complaint_id=str(found["id"]), found_after_lost_answer=True, unsure=False)
            return
    atts = Attachment.objects.filter(complaint=c, event__isnull=True, visibility=Visibility.PUBLIC)
    if atts and "docs" not in row.state:
        row.state["docs"] = client.upload(_files(atts))
        _save_state(row)  # resumable: a retry does not upload again
    fields = mapping.to_remote_create(
        c,
        docs=row.state.get("docs", []),
        disposition_id=masters.institution_id(c.institution),
        location_id=masters.location_id(c.area_id),
        category_id=masters.category_id(c.service),
    )
    row.state.update(attempted_at=timezone.now().isoformat(), unsure=True)
    _save_state(row)  # a worker killed during the call leaves a row that looks before sending again
    remote_id = client.create(fields)
    link(c, remote_id, "", Link.Origin.LOCAL)
    row.state.update(complaint_id=remote_id, unsure=False)


def _remote_id(row):
    link_row = Link.objects.filter(complaint_id=row.complaint_id).first()
    if link_row is None:
        raise ValueError("the report is not on SP4N-LAPOR! (its create was refused)")
    return link_row.remote_id


def _send_route(row, client):
    c = Complaint.objects.select_related("institution").get(pk=row.complaint_id)
    try:
        client.disposition(_remote_id(row), masters.institution_id(c.institution))
    except Missing:
        # The service has no disposition call: the report waits with the city on SP4N-LAPOR!, which
        # the health page shows; the follow-ups still go out under the OPD's name.
        row.state["skipped"] = "no disposition call"


def _send_reject(row, client):
    c = Complaint.objects.select_related("forwarded_to").get(pk=row.complaint_id)
    target = masters.institution_id(c.forwarded_to, fallback_to_city=False)
    if not target:
        name = c.forwarded_to.name if c.forwarded_to else "?"
        raise MissingId(
            f"{name} tidak ada di master instansi SP4N-LAPOR!: laporan belum diteruskan di SP4N-LAPOR! "
            "(isi ID SP4N-LAPOR! instansi itu, lalu pengiriman diulang sendiri)"
        )
    try:
        client.reject(_remote_id(row), target, row.event.message if row.event else "")
    except Rejected as exc:
        detail = client.detail(_remote_id(row)).get("data") or {}
        if exc.status == 409 and mapping.ref_id(detail.get("disposition_id")) == str(target):
            return  # it arrived before (its answer was lost)
        raise


def _followup_fields(row, c):
    event = row.event
    template, fixed = mapping.FOLLOWUP_EVENTS[event.action]
    content = event.message or fixed
    if event.action == Action.CONFIRM and c.rating:
        content = f"{content} Penilaian pelapor: {c.rating}/5."
    link_row = Link.objects.get(complaint_id=c.pk)
    remote = link_row.remote_status
    holder = None if remote in (mapping.UNVERIFIED, None) else masters.institution_id(c.institution)
    return mapping.to_remote_followup(
        remote_id=link_row.remote_id,
        from_id=masters.institution_id(c.institution),
        to_id=holder,
        content=content,
        is_secret=c.is_secret,
        template_code=masters.template_code(template),
        rating=c.rating if event.action == Action.CONFIRM else 0,
    )


def _already_posted(client, row, fields):
    """After a lost answer: is our follow-up on SP4N-LAPOR! already? Counted by text, so the same text
    sent twice on purpose still goes twice."""
    ours = {str(mapping.city_institution_id()), str(fields["institution_from_id"])}
    remote = [mapping.from_remote_followup(f) for f in client.followups(fields["complaint_id"]) if isinstance(f, dict)]
    there = sum(1 for f in remote if f["content"] == fields["content"] and (f["from_id"] in ours))
    sent = (
        Outbox.objects.filter(complaint_id=row.complaint_id, kind=K.FOLLOWUP, status=OutboxStatus.DONE)
        .filter(state__content=fields["content"])
        .count()
    )
    return there > sent


def _send_followup(row, client):
    c = Complaint.objects.select_related("institution").get(pk=row.complaint_id)
    _remote_id(row)
    fields = _followup_fields(row, c)
    row.state["content"] = fields["content"]
    if not (row.state.get("unsure") and _already_posted(client, row, fields)):
        atts = Attachment.objects.filter(event=row.event).exclude(visibility=Visibility.STAFF)
        row.state.update(attempted_at=timezone.now().isoformat(), unsure=True)
        _save_state(row)
        client.add_followup(fields, _files(atts))
    row.state["unsure"] = False
    # The answer carries no id we can rely on: the row itself is the follow-up's key on our side.
    RemoteFollowup.objects.get_or_create(
        remote_id=f"out:{row.pk}", defaults={"complaint_id": c.pk, "direction": "out", "event": row.event}
    )


SENDERS = {K.CREATE: _send_create, K.ROUTE: _send_route, K.REJECT: _send_reject, K.FOLLOWUP: _send_followup}
