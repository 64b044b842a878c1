"""The pull: read the reports that involve the city and changed on SP4N-LAPOR! since the last run, a page
at a time, and bring each in through its twin (twins.apply_remote; a page of new ones together through
backfill.import_new). Without a list call, the reports already known are read one by one (poll_known).

Every step is idempotent: a page delivered twice, a run killed half-way, or two workers polling at once
(a lease keeps them apart; the database keys would stop them anyway) cannot create a report or a
follow-up twice. A payload that cannot be used is parked whole with a readable reason (parking.py), the
rest of the page goes on, and the report is read again on its own (`GET /complaints/{id}/complaint`).
"""

import datetime as dt
import logging
import time

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags

from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.states import CLOSED_STATES
from sikesal.core import leases
from sikesal.integrations.lapor import backfill, mapping, masters
from sikesal.integrations.lapor.client import LaporClient, Missing, Rejected, Unavailable, is_enabled
from sikesal.integrations.lapor.health import record_calls
from sikesal.integrations.lapor.mapping import BadPayload
from sikesal.integrations.lapor.models import Link, Parked, SyncState
from sikesal.integrations.lapor.parking import park
from sikesal.integrations.lapor.twins import apply_remote

log = logging.getLogger("sikesal.lapor")


def _lease(key, seconds):
    """Take a named lease (one puller at a time across workers); False when another holds it."""
    SyncState.objects.get_or_create(key=key)
    now = timezone.now()
    return bool(leases.claim(SyncState.objects.filter(key=key), "lease_until", now, _until(seconds), 1))


def _renew(key, seconds):
    leases.renew(SyncState.objects.filter(key=key), "lease_until", _until(seconds))


def _until(seconds):
    return timezone.now() + dt.timedelta(seconds=seconds)


def _release(key, **value):
    row = SyncState.objects.get(key=key)
    row.value = {**row.value, **value}
    row.lease_until = None
    row.save(update_fields=["value", "lease_until", "updated_at"])


def process_page(items, client, city_ids, counts, *, bulk=True):
    """Apply each item; a bad one is parked and read again on its own. Returns the newest updated_at.

    With `bulk`, the reports of the page that SIKESAL does not know yet are created together first
    (backfill.import_new); the rest of the page then goes item by item as always."""
    newest = None
    read = []
    for item in items:
        try:
            read.append((item, mapping.from_remote_report(item)))
        except BadPayload as exc:
            read.append((item, exc))
    handled = backfill.import_new(read, client, city_ids, counts) if bulk else {}
    for d in handled.values():
        if d is not None:  # None: parked, as apply_remote's refusals are
            newest = _newer(newest, d["updated_at"])
    for index, (item, d) in enumerate(read):
        if index in handled:
            continue
        if isinstance(d, BadPayload):
            exc = d
            parked = park(item, exc)
            counts["parked"] += 1
            if recover(parked, client, city_ids):
                counts["recovered"] += 1
            continue
        try:
            outcome = apply_remote(d, client, city_ids=city_ids)
        except (BadPayload, LifecycleError) as exc:
            park(item, exc)
            counts["parked"] += 1
            continue
        counts[outcome] = counts.get(outcome, 0) + 1
        newest = _newer(newest, d["updated_at"])
    return newest


def _newer(newest, updated_at):
    """The later of two change times; a copy without one (the field may be absent) moves nothing."""
    if updated_at is None:
        return newest
    return updated_at if newest is None or updated_at > newest else newest


def recover(parked, client, city_ids):
    """Read a parked report again on its own; resolve the parking when that copy is sound."""
    if not parked.remote_id.isdigit():
        return False
    try:
        detail = client.detail(parked.remote_id)
        data = detail.get("data")
        if isinstance(data, dict) and isinstance(data.get("content"), str):
            # An old copy could hold HTML; LAPOR!'s own record is text, so tags are dropped, not run.
            data = {**data, "content": strip_tags(data["content"]), "title": strip_tags(str(data.get("title") or ""))}
        d = mapping.from_remote_report(data)
        apply_remote(d, client, city_ids=city_ids)
    except (Unavailable, BadPayload, LifecycleError) as exc:
        log.info("lapor item %s still parked: %s", parked.remote_id, exc)
        return False
    Parked.objects.filter(remote_id=parked.remote_id, resolved_at__isnull=True).update(resolved_at=timezone.now())
    return True


def pull(client=None, *, max_seconds=None, progress=None, full=False, bulk=True):
    """Read every report changed since the last pull. Returns counts by outcome. `bulk=False` creates
    new reports one by one only (the per-report path the bulk one is measured and tested against)."""
    counts = {"created": 0, "linked": 0, "updated": 0, "unchanged": 0, "parked": 0, "recovered": 0, "pages": 0}
    if not is_enabled():
        return counts
    budget = max_seconds or settings.LAPOR_SYNC_MAX_SECONDS
    if not _lease("pull", budget + 10):
        counts["busy"] = 1
        return counts
    own = client is None
    client = client or LaporClient()
    state = SyncState.objects.get(key="pull").value
    cursor = None if full else state.get("cursor")
    resweep_at = state.get("resweep_at")
    now = timezone.now()
    every = dt.timedelta(seconds=settings.LAPOR_PULL_RESWEEP_SECONDS)
    if cursor and (not resweep_at or now - dt.datetime.fromisoformat(resweep_at) > every):
        # Now and then read an hour back again: a report whose place in the list moved while a page
        # boundary passed it (others changed meanwhile) is caught here; the ones already known cost nothing.
        overlap = dt.timedelta(seconds=settings.LAPOR_PULL_OVERLAP_SECONDS)
        cursor = (dt.datetime.fromisoformat(cursor) - overlap).isoformat()
        resweep_at = now.isoformat()
    deadline = time.monotonic() + budget
    hard_stop = time.monotonic() + 10 * budget
    city_ids = masters.city_remote_ids()
    error = ""
    try:
        for parked in Parked.objects.filter(resolved_at__isnull=True).exclude(remote_id="")[:50]:
            if recover(parked, client, city_ids):
                counts["recovered"] += 1
        if not mapping.call_enabled("list"):
            counts["polled"] = poll_known(client, city_ids, deadline)
            return counts
        page = 1
        # Past the budget only in the middle of a burst of equal times (page > 1): stopping there would
        # make the next run read the burst from its first page again, and a long burst never end.
        while time.monotonic() < deadline or (page > 1 and time.monotonic() < hard_stop):
            _renew("pull", budget + 10)
            try:
                results = client.list_page(cursor, page)
            except Missing as exc:
                # No list on this service: say so (health page) and keep the known reports in step.
                error = str(exc)
                counts["polled"] = poll_known(client, city_ids, deadline)
                break
            items = results.get("data") or []
            counts["pages"] += 1
            newest = process_page(items, client, city_ids, counts, bulk=bulk)
            if progress:
                progress(counts, results.get("total"))
            if newest is not None and (cursor is None or newest > dt.datetime.fromisoformat(cursor)):
                cursor, page = newest.isoformat(), 1  # the list is oldest change first: move the window
                _release_cursor(cursor)
            else:
                page += 1  # a page with nothing newer (duplicates, a burst of equal times): read on
            if len(items) < mapping.page_size():
                break
    except Unavailable as exc:
        error = str(exc)
        counts["error"] = error
    finally:
        # `last_run` is the last pull that read SP4N-LAPOR!: a failed one leaves it, so the page turns red
        finished = {} if "error" in counts else {"last_run": timezone.now().isoformat()}
        _release(
            "pull",
            cursor=cursor,
            resweep_at=resweep_at,
            **finished,
            last_attempt=timezone.now().isoformat(),
            last_error=error,
            last_counts=_plain(counts),
        )
        record_calls(client.calls)
        if own:
            client.close()
    return counts


def poll_known(client, city_ids, deadline, batch=200):
    """Without a list call: read the reports we know one by one (open ones first, in turns), as the public
    client does. New reports filed on SP4N-LAPOR! cannot come in this way; the health page says so."""
    state = SyncState.objects.get(key="pull")
    after = int(state.value.get("poll_after") or 0)
    links = list(
        Link.objects.exclude(complaint__status__in=CLOSED_STATES, remote_status__in=mapping.FINAL)
        .filter(pk__gt=after)
        .order_by("pk")[:batch]
    )
    done = 0
    for link in links:
        if time.monotonic() >= deadline:
            break
        try:
            d = mapping.from_remote_report(client.detail(link.remote_id).get("data"))
            apply_remote(d, client, city_ids=city_ids)
        except (BadPayload, LifecycleError, Rejected) as exc:
            log.info("lapor report %s not applied: %s", link.remote_id, exc)
        after = link.pk
        done += 1
    if len(links) < batch and done == len(links):
        after = 0  # a full turn: start again from the first
    _release_cursor_value(poll_after=after)
    return done


def _release_cursor(cursor):
    _release_cursor_value(cursor=cursor)


def _release_cursor_value(**value):
    row = SyncState.objects.get(key="pull")
    row.value = {**row.value, **value}
    row.save(update_fields=["value", "updated_at"])


def _plain(counts):
    return {k: v for k, v in counts.items() if isinstance(v, (int, str))}
