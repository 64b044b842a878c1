"""SP4N-LAPOR! dark for an hour: the operator hears of it (page, mail, /healthz) within minutes, once, and
again when it ends; then the backlog goes out oldest first, each report's changes in their order."""

import datetime as dt
import threading

import pytest
from django.utils import timezone

from sikesal.complaints.models import Event
from sikesal.integrations.lapor import health, masters, outbound, pull
from sikesal.integrations.lapor.models import Link, Outbox, SyncState
from sikesal.portal.templatetags.portal_tags import wib
from tests.conftest import T0


def drain():
    for event in Event.objects.order_by("id"):
        outbound.on_event(event)
    outbound.push()


def sync():
    """What the worker's periodic lapor_sync does."""
    pull.pull()
    outbound.push()
    health.alert_on_change()


@pytest.fixture
def synced(sim, catalogue):
    masters.sync_masters()
    return sim


def outage_mails(mailoutbox):
    return [m.subject for m in mailoutbox if "SP4N-LAPOR!" in m.subject]


def test_an_outage_turns_red_within_minutes_mails_once_and_says_when_it_ends(
    synced, submit, users, settings, mailoutbox, clock, client
):
    users["admin"].email = "admin@jambikota.go.id"
    users["admin"].save()
    settings.LAPOR_OUTAGE_AFTER_SECONDS = 300
    clock.move_to(T0, tick=True)
    submit()
    drain()
    sync()  # all well: a pull has read SP4N-LAPOR!
    last_pull = SyncState.objects.get(key="pull").value["last_run"]
    assert health.health()["outage"] is None and not mailoutbox

    synced.faults(error_rate=1.0)  # every call answers 5xx
    submit(title="Lampu jalan mati di Simpang IV Sipin")
    for _ in range(4):  # four minutes: not yet an outage
        drain()
        sync()
        clock.shift(60)
    assert SyncState.objects.get(key="pull").value["last_run"] == last_pull  # a failed pull is no pull
    assert "pull_stale" in health.health()["red"]
    assert health.health()["outage"] is None and not mailoutbox
    for _ in range(56):  # the rest of the hour, the worker's sync every minute
        clock.shift(60)
        sync()
    h = health.health()
    assert h["outage"] and h["outage"]["waiting"] == 1
    assert h["outage"]["since"] <= T0 + dt.timedelta(minutes=1)
    assert outage_mails(mailoutbox) == ["SP4N-LAPOR! tidak dapat dihubungi"]  # once, not every minute
    assert mailoutbox[0].to == ["admin@jambikota.go.id"]
    assert client.get("/healthz").json()["lapor"] == {
        "state": "down",
        "since": h["outage"]["since"].isoformat(),
        "waiting": 1,
    }
    client.force_login(users["admin"])
    page = client.get("/kantor/sinkronisasi-lapor/").content.decode()
    assert 'id="lapor-outage"' in page and "tidak dapat dihubungi sejak" in page
    # the last good pull, as the operator reads times: in WIB, not the stored UTC text
    assert f"{wib(last_pull)}" in page and last_pull not in page and wib(last_pull).endswith(" WIB")

    synced.faults()  # the light returns
    sync()
    assert health.health()["outage"] is None
    assert Outbox.objects.filter(status="pending").count() == 0
    assert outage_mails(mailoutbox) == ["SP4N-LAPOR! tidak dapat dihubungi", "SP4N-LAPOR! dapat dihubungi lagi"]
    assert client.get("/healthz").json()["lapor"] == {"state": "ok"}
    assert 'id="lapor-outage"' not in client.get("/kantor/sinkronisasi-lapor/").content.decode()
    sync()
    assert len(outage_mails(mailoutbox)) == 2  # all clear once


def test_after_an_outage_the_backlog_goes_out_oldest_first_and_in_each_reports_order(
    synced, submit, act, settings, clock
):
    settings.LAPOR_RETRY_BASE_SECONDS = 30  # the real backoff: the oldest rows wait longest
    clock.move_to(T0, tick=True)
    before = [submit(title=f"Laporan sebelum gangguan {i}") for i in range(3)]
    drain()
    synced.faults(error_rate=1.0)
    during = []
    for minute in range(0, 60, 5):  # an hour dark; the office works on, the worker keeps trying
        report = before[(minute // 5) % 3]
        act(report, "verify" if minute < 15 else "add_followup", message=f"Tindak lanjut menit {minute}.")
        if minute % 15 == 0:
            during.append(submit(title=f"Laporan saat gangguan menit {minute}"))
        drain()
        pull.pull()
        clock.shift(300)
    waiting = list(Outbox.objects.filter(status="pending").order_by("id"))
    assert len(waiting) >= 15 and max(r.attempts for r in waiting) >= 5
    assert waiting[0].next_attempt_at > max(r.next_attempt_at for r in waiting[-3:])  # backed off longest

    synced.faults()
    sync()
    rows = list(Outbox.objects.filter(pk__in=[r.pk for r in waiting]).order_by("id"))
    assert {r.status for r in rows} == {"done"}
    sent_order = sorted(rows, key=lambda r: r.done_at)
    assert [r.pk for r in sent_order] == [r.pk for r in rows]  # no pair inverted, oldest first
    # on SP4N-LAPOR! the new reports exist in the order they were filed
    remote = [int(Link.objects.get(complaint=c).remote_id) for c in during]
    assert remote == sorted(remote)


@pytest.mark.django_db(transaction=True)
def test_concurrent_push_keeps_each_reports_order_and_sends_once(sim, catalogue, users, act, submit, settings):
    """Sixteen calls in flight, never two of one report: each report's follow-ups reach SP4N-LAPOR! after
    its create and in the order they were written, and nothing twice."""
    masters.sync_masters()
    settings.LAPOR_PUSH_CONCURRENCY = 16
    sim.faults(slow_rate=1.0, slow_seconds=0.05)
    reports = [submit(title=f"Laporan serentak {i}", now=timezone.now()) for i in range(12)]
    for report in reports:
        act(report, "verify")
        for n in range(3):
            act(report, "add_followup", message=f"Tindak lanjut {n} untuk {report.tracking_number}.")
    for event in Event.objects.order_by("id"):
        outbound.on_event(event)
    in_flight, most = {}, [0]
    lock = threading.Lock()
    senders = dict(outbound.SENDERS)

    def watched(kind):
        def send(row, client):
            with lock:
                assert row.complaint_id not in in_flight, "two calls for one report at once"
                in_flight[row.complaint_id] = row.pk
                most[0] = max(most[0], len(in_flight))
            try:
                return senders[kind](row, client)
            finally:
                with lock:
                    del in_flight[row.complaint_id]

        return send

    outbound.SENDERS.update({kind: watched(kind) for kind in senders})
    try:
        counts = outbound.push()
    finally:
        outbound.SENDERS.update(senders)
    assert counts == {"sent": 12 * 5, "retry": 0, "parked": 0}
    assert most[0] > 4  # the calls did overlap
    remote = sim.complaints()
    for report in reports:
        report.refresh_from_db()
        followups = [f["content"] for f in remote[int(report.lapor_complaint_id)]["followups"]]
        ours = [f for f in followups if "Tindak lanjut" in f]
        assert ours == [f"Tindak lanjut {n} untuk {report.tracking_number}." for n in range(3)], followups
    assert len(remote) == 12


@pytest.mark.django_db(transaction=True)
def test_a_retry_after_stops_the_whole_pool_not_only_the_thread_that_was_told(sim, catalogue, submit, settings):
    masters.sync_masters()
    settings.LAPOR_PUSH_CONCURRENCY = 8
    settings.LAPOR_HTTP_ATTEMPTS = 1
    reports = [submit(title=f"Laporan antre {i}", now=timezone.now()) for i in range(40)]
    for event in Event.objects.order_by("id"):
        outbound.on_event(event)
    sim.faults(rate_limit_rate=1.0, retry_after=30, paths=["/complaints/complaint"])  # "come back in 30 s"
    before = sim.state()["faults"]["injected"].get("rate_limit", 0)  # the simulator counts since it started
    counts = outbound.push()
    asked = sim.state()["faults"]["injected"]["rate_limit"] - before
    assert counts["sent"] == 0 and asked == counts["retry"] <= 8  # at most the calls already in flight
    waiting = Outbox.objects.filter(complaint__in=reports, attempts__gt=0)
    assert all(row.next_attempt_at >= timezone.now() + dt.timedelta(seconds=25) for row in waiting)
    assert Outbox.objects.filter(complaint__in=reports, attempts=0).count() >= 32  # the rest were not asked
