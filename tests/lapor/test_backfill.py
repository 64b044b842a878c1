"""The bulk backfill (a page of new reports in one transaction) against the per-report pull: the same
simulator data, imported once each way into the same database, gives the same reports, links, events,
follow-ups, conflicts and parkings."""

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sikesal.catalogue.models import Area, AreaLevel
from sikesal.complaints import submission
from sikesal.complaints.models import Complaint, Event, PendingEffect, Reporter
from sikesal.complaints.states import Channel
from sikesal.integrations.lapor import masters, outbound, pull
from sikesal.integrations.lapor.models import Conflict, Link, Master, Parked, RemoteFollowup, SyncState


@pytest.fixture
def synced(sim, catalogue):
    masters.sync_masters()
    return sim


DATES = (
    "status_changed_at",
    "verify_due_at",
    "info_due_at",
    "followup_due_at",
    "reporter_due_at",
    "final_due_at",
    "target_due_at",
    "due_at",
    "next_sweep_at",
    "closed_at",
    "verified_at",
    "first_response_at",
)
FIELDS = (
    "status",
    "type",
    "classification",
    "channel",
    "title",
    "body",
    "incident_date",
    "area_id",
    "institution_id",
    "service_id",
    "is_anonymous",
    "is_secret",
    "ombudsman_taken_over",
    "reopen_count",
    "version",
    "lapor_tracking_id",
    "idempotency_key",
    "secret_hash",
    "overdue_marks",
)
SLACK = dt.timedelta(seconds=60)  # creation and later mirror steps are not the same instant in both runs


def _rel(moment, origin):
    return None if moment is None else moment - origin


def snapshot():
    """Everything the import wrote, keyed by SP4N-LAPOR! id; instants relative to the report's filing."""
    tasks = set(PendingEffect.objects.values_list("event_id", flat=True))
    reports = {}
    for c in Complaint.objects.exclude(lapor_complaint_id=None).order_by("pk"):
        origin = c.submitted_at
        link = Link.objects.get(complaint=c)
        reporter = Reporter.objects.filter(complaint=c).first()
        reports[c.lapor_complaint_id] = {
            "tracking_number": c.tracking_number if c.channel != Channel.LAPOR else None,
            "tracking_shape": bool(re.fullmatch(r"[A-Z]+-\d{4}-[2-9A-Z]{4,6}", c.tracking_number)),
            **{name: getattr(c, name) for name in FIELDS},
            "dates": {name: _rel(getattr(c, name), origin) for name in DATES},
            "reporter": reporter and (reporter.name, reporter.phone, reporter.email, reporter.nik, reporter.user_id),
            "link": (link.tracking_id, link.origin, link.remote_status, link.remote_updated_at, link.followups_seen),
            "events": [
                (
                    e.action,
                    e.actor_id,
                    e.actor_role,
                    e.actor_label,
                    e.from_status,
                    e.to_status,
                    e.visibility,
                    e.message,
                    e.payload,
                    e.pk in tasks,  # its side effects are queued
                    _rel(e.created_at, origin),
                )
                for e in c.events.order_by("id")
            ],
            "followups": sorted(
                (f.remote_id, f.direction, f.event.message if f.event else None)
                for f in RemoteFollowup.objects.filter(complaint=c).select_related("event")
            ),
            "conflicts": sorted(
                (x.local_status, x.remote_status, x.rule, x.detail, x.resolved_at is None)
                for x in Conflict.objects.filter(complaint=c)
            ),
        }
    parked = sorted((p.remote_id, p.reason, p.resolved_at is None) for p in Parked.objects.all())
    return reports, parked


def assert_same(a, b, path="", slack=SLACK):
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
        assert abs(a - b) <= slack, f"{path}: {a} != {b}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), f"{path}: {sorted(a.keys() ^ b.keys())}"
        for key in a:
            assert_same(a[key], b[key], f"{path}.{key}", slack)
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), f"{path}: {len(a)} != {len(b)}: {a} / {b}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]", slack)
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def forget_the_import():
    """The local side as before the first pull: imported reports gone, our own ones unlinked."""
    imported = Complaint.objects.filter(channel=Channel.LAPOR)
    Event.objects.filter(complaint__in=imported)._raw_delete(Event.objects.db)
    Event.objects.filter(action="lapor_mirror")._raw_delete(Event.objects.db)
    imported.delete()
    Link.objects.all().delete()
    Complaint.objects.update(lapor_complaint_id=None, lapor_tracking_id="")
    for model in (RemoteFollowup, Conflict, Parked, SyncState):
        model.objects.all().delete()
    kept = set(Event.objects.values_list("pk", flat=True))  # our own reports' events, with their side effects
    PendingEffect.objects.exclude(event_id__in=kept).delete()


def pull_as_from_scratch(sim, *, bulk):
    sim.faults()
    sim.api("GET", "/complaints", params={"page": 10_000, "page_size": 10})  # no page tail to repeat
    sim.faults(duplicate_rate=1.0, corrupt_rate=0.1, seed=11)  # the same faults, drawn the same way
    counts = pull.pull(bulk=bulk)
    sim.faults()
    return counts


def test_bulk_backfill_imports_what_the_per_report_pull_imports(synced, submit, settings, monkeypatch):
    settings.LAPOR_PAGE_SIZE = 10  # several pages, duplicates within and across them
    # Our own reports, whose create answers were lost: they come back carrying the ticket line.
    own = [submit(), submit(is_anonymous=True)]
    synced.faults(commit_500_rate=1.0, paths=["/complaints/complaint"])
    for event in Event.objects.order_by("id"):
        outbound.on_event(event)
    outbound.push()
    synced.faults()
    # Reports filed on SP4N-LAPOR!, in every shape the pull meets.
    ids = synced.citizens(45)
    synced.tick()
    synced.post(f"/__sim/reporter/{ids[0]}", {"action": "reply", "content": "Mohon segera dicek."})
    synced.post(f"/__sim/reporter/{ids[1]}", {"action": "reply", "content": "Belum ada perbaikan."})
    synced.post(f"/__sim/reporter/{ids[1]}", {"action": "reply", "content": "Belum ada perbaikan."})
    synced.post(f"/__sim/complaint/{ids[2]}", {"followup": {"content": "Sudah diteruskan.", "from": "admin"}})
    synced.post(f"/__sim/complaint/{ids[3]}", {"status_code": 30})
    synced.post(f"/__sim/complaint/{ids[4]}", {"status_code": 41})
    synced.post(f"/__sim/complaint/{ids[5]}", {"status_code": 50})  # handed elsewhere: a conflict
    synced.post(f"/__sim/complaint/{ids[6]}", {"status_code": 77})  # unknown here: a staff note
    synced.post(f"/__sim/complaint/{ids[7]}", {"status_code": 22})
    synced.post(f"/__sim/reporter/{ids[8]}", {"action": "ombudsman"})
    # A location whose code is a kecamatan here: submit refuses those reports, both paths park them.
    location = synced.complaints()[ids[9]]["location_id"]
    kecamatan = Area.objects.filter(level=AreaLevel.KECAMATAN).first()
    Master.objects.filter(kind="locations", remote_id=str(location)).update(data={"code": kecamatan.code})

    one_by_one = pull_as_from_scratch(synced, bulk=False)
    before = snapshot()
    forget_the_import()
    made_in_bulk = []
    submit_many = submission.submit_many

    def spy(actor, datas, **kwargs):
        results = submit_many(actor, datas, **kwargs)
        made_in_bulk.extend(r for r in results if not isinstance(r, Exception))
        return results

    monkeypatch.setattr(submission, "submit_many", spy)
    bulk = pull_as_from_scratch(synced, bulk=True)
    after = snapshot()

    for name in ("created", "linked", "parked", "recovered", "updated", "unchanged", "pages"):
        assert bulk[name] == one_by_one[name], (name, one_by_one, bulk)
    assert len(before[0]) == len(after[0]) >= 40
    assert len(made_in_bulk) >= 30  # the bulk path did the work, not a fallback
    assert_same(before, after)
    reports = after[0]
    assert {own[0].tracking_number, own[1].tracking_number} <= {r["tracking_number"] for r in reports.values()}
    assert all(r["tracking_shape"] for r in reports.values())
    assert any(r["followups"] for r in reports.values()) and any(r["conflicts"] for r in reports.values())
    assert any(r["reporter"] for r in reports.values()) and any(r["is_secret"] for r in reports.values())
    assert any(unresolved for _rid, _reason, unresolved in after[1])  # the refused ones stay parked
    assert Complaint.objects.filter(channel=Channel.LAPOR).count() == len(reports) - 2  # none twice


def test_a_page_of_new_reports_is_written_with_a_few_statements(synced, settings):
    settings.LAPOR_PAGE_SIZE = 50
    synced.citizens(50)
    synced.tick()
    with CaptureQueriesContext(connection) as queries:
        counts = pull.pull()
    assert counts["created"] == 50, counts
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    # complaints, reporters, events, their pending side effects, links: one insert each (SQLite batches by 999 params)
    assert len(writes) <= 20, len(writes)
    assert Event.objects.filter(action="submit").count() == 50
    assert PendingEffect.objects.filter(event__action="submit").count() == 50
    assert django_settings.LAPOR_BASE_URL
