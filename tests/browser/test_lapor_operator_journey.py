"""Issue #29 as the admin koordinator lives it, in chromium against the real LAPOR! simulator: SP4N-LAPOR!
goes dark while reports and follow-ups are filed, the alert arrives (mail, /healthz), the sync page says
what waits and why, the admin links a create whose answer was lost to its SP4N-LAPOR! number, and when
the light returns the backlog goes out in the order it was written."""

import pytest
from django.utils import timezone

from sikesal.integrations.lapor import masters
from sikesal.integrations.lapor.models import Link, Outbox
from sikesal.integrations.lapor.tasks import lapor_sync
from tests.browser_steps import block_outside, staff_log_in
from tests.conftest import T0
from tests.lapor.conftest import sim, simulator_process  # noqa: F401  (the simulator's fixtures)
from tests.lapor.test_day_one import copies_of

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAGE = "/kantor/sinkronisasi-lapor/"
ADMIN_MAIL = "koordinator@jambikota.go.id"


def sync():
    """One run of the worker's periodic SP4N-LAPOR! job (pull, push, alert), as the worker runs it."""
    return lapor_sync.call()


def outage_mails(mailoutbox):
    return [m for m in mailoutbox if m.subject.startswith("SP4N-LAPOR! ")]


def test_an_outage_from_alert_to_drained_backlog_as_the_admin_sees_it(
    sim,  # noqa: F811
    submit,
    act,
    users,
    settings,
    clock,
    mailoutbox,
    page,
    live_server,
    artifacts,
):
    users["admin"].email = ADMIN_MAIL
    users["admin"].save()
    settings.LAPOR_OUTAGE_AFTER_SECONDS = 300
    # One call at a time, so the order SP4N-LAPOR! receives is the order the outbox hands out (at 16 in
    # flight each report keeps its own order: tests/lapor/test_outage.py).
    settings.LAPOR_PUSH_CONCURRENCY = 1
    clock.move_to(T0, tick=True)  # Monday 09:00 WIB
    masters.sync_masters()
    sync()  # all well: a pull has read SP4N-LAPOR!

    # 1. SP4N-LAPOR! falters, then goes dark. First a create lands there but its answer is lost, and this
    # SP4N-LAPOR! offers no list to look for it in: the create is held as an unknown outcome.
    sim.post("/__sim/endpoints", {"disabled": ["list"]})
    sim.faults(commit_500_rate=1.0, paths=["/complaints/complaint"])
    pothole = submit(title="Jalan berlubang di Jl. Kapten Pattimura", now=timezone.now())
    sync()
    clock.shift(60)
    sim.faults()
    sync()
    held = Outbox.objects.get(complaint=pothole, kind="create")
    assert held.status == "parked" and held.state["held"] == "unknown_outcome"
    [pothole_copy] = copies_of(sim, pothole)  # it did arrive

    # 09:02: dark. Every call answers 5xx (the list too: a create lost now is looked for, not held).
    sim.post("/__sim/endpoints", {"disabled": []})
    sim.faults(error_rate=1.0)
    clock.shift(60)
    act(pothole, "verify")
    act(pothole, "add_followup", message="Tindak lanjut 1: petugas PUPR meninjau Jl. Kapten Pattimura.")
    lamp = submit(title="Lampu jalan mati di Simpang IV Sipin", now=timezone.now())
    sync()
    clock.shift(60)
    act(lamp, "verify")
    act(pothole, "add_followup", message="Tindak lanjut 2: lubang ditandai, penambalan dijadwalkan Rabu.")
    act(lamp, "add_followup", message="Tindak lanjut 1: PLN dan Dishub sudah dihubungi.")
    sync()
    clock.shift(60)
    drain = submit(title="Drainase tersumbat di Jl. Gatot Subroto", now=timezone.now())
    act(lamp, "add_followup", message="Tindak lanjut 2: tiga lampu PJU diganti besok pagi.")
    for _ in range(6):  # the worker's sync every minute, each one failing
        sync()
        clock.shift(60)
    waiting = Outbox.objects.filter(status="pending")
    # behind the held create: its routing and two follow-ups; the lamp: create, routing, two follow-ups;
    # the drain: its create
    assert waiting.count() == 8 and {r.complaint_id for r in waiting} == {pothole.pk, lamp.pk, drain.pk}
    assert waiting.get(complaint=lamp, kind="create").attempts >= 5  # the sync kept trying, and failing

    # 2. The alert: one outage mail to the admin with an address, and /healthz says so.
    [alert] = [m for m in outage_mails(mailoutbox) if "tidak dapat dihubungi" in m.subject]
    assert alert.to == [ADMIN_MAIL]
    assert "8 perubahan menunggu dikirim" in alert.body and "/kantor/sinkronisasi-lapor/" in alert.body
    assert "3 di antaranya menunggu di belakang laporan yang ditahan untuk keputusan admin" in alert.body
    block_outside(page)
    healthz = page.request.get(live_server.url + "/healthz").json()
    assert healthz["lapor"]["state"] == "down" and healthz["lapor"]["waiting"] == 8

    # 3. The admin opens the sync page: the outage, what waits and why.
    staff_log_in(page, live_server, "admin", "x-test-pass")
    page.goto(live_server.url + PAGE)
    page.screenshot(path=f"{artifacts}/1-outage.png", full_page=True)
    # On the phone the banner stands out as a warning box, and the refused report's number reads on one
    # line: its table scrolls inside its box rather than squeezing each cell to a few letters a line.
    assert page.eval_on_selector("#lapor-outage", "e => getComputedStyle(e).backgroundColor") == "rgb(255, 241, 222)"
    assert page.eval_on_selector("#lapor-refused td a", "e => e.getClientRects().length") == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    banner = page.inner_text("#lapor-outage")
    # since the lost answer at 09:00: the missing list's 404s after it were no successful call
    assert "SP4N-LAPOR! tidak dapat dihubungi sejak 02-11-2026 09:00 WIB." in banner
    assert "8 perubahan menunggu dikirim" in banner and "begitu SP4N-LAPOR! menjawab lagi" in banner
    # ... but not all of it goes by itself: what waits behind the held create waits for the admin
    assert "Kecuali 3 di antaranya: perubahan itu menunggu di belakang laporan yang ditahan" in banner
    assert page.inner_text("#lapor-pending").startswith("8 ")
    row = page.locator("tr", has_text=pothole.tracking_number)
    why = row.inner_text()
    assert f"Hasil pengiriman {pothole.tracking_number} tidak diketahui" in why
    assert "3 perubahan menunggu di belakangnya." in why

    # 4. "Send again" names its risk and does nothing unconfirmed; "link" settles the held create.
    resend = row.locator("form.lapor-resend")
    assert "membuat salinan kedua" in resend.inner_text()
    resend.get_by_role("button", name="Kirim ulang").click()
    assert resend.locator("input[name=confirm]").evaluate("box => box.validity.valueMissing")
    held.refresh_from_db()
    assert held.status == "parked"
    linking = row.locator("form.lapor-link")
    linking.get_by_label("Nomor laporan SP4N-LAPOR!").fill(str(pothole_copy["id"]))
    linking.get_by_role("button", name="Tautkan ke nomor SP4N-LAPOR! ini").click()
    page.wait_for_selector(".messages")
    page.screenshot(path=f"{artifacts}/2-linked.png", full_page=True)
    said = page.inner_text(".messages li.success")
    # SP4N-LAPOR! is still dark: linked on the admin's word, and told so
    assert f"{pothole.tracking_number} ditautkan ke laporan SP4N-LAPOR! {pothole_copy['id']}" in said
    assert "isinya tidak dibandingkan" in said
    assert page.locator("tr", has_text=pothole.tracking_number).count() == 0  # no longer held
    assert Link.objects.get(complaint=pothole).remote_id == str(pothole_copy["id"])
    page.goto(f"{live_server.url}/kantor/laporan/{pothole.tracking_number}/")
    # its SP4N-LAPOR! tracking number is not known yet (the copy could not be read): the number it is linked to
    assert f"Nomor laporan SP4N-LAPOR! {pothole_copy['id']}" in page.inner_text("dl.facts")

    # 5. The light returns; the worker's next sync drains the backlog in order.
    sim.faults()
    clock.shift(60)
    sync()
    assert not Outbox.objects.exclude(status="done").exists()
    rows = list(Outbox.objects.filter(complaint__in=[pothole, lamp, drain]).order_by("id"))
    assert [r.pk for r in sorted(rows, key=lambda r: r.done_at)] == [r.pk for r in rows]
    remote = sim.complaints()
    copies = {c: copies_of(sim, c) for c in (pothole, lamp, drain)}
    assert all(len(found) == 1 for found in copies.values()), copies  # nothing doubled
    lamp_id, drain_id = copies[lamp][0]["id"], copies[drain][0]["id"]
    assert pothole_copy["id"] < lamp_id < drain_id  # the reports arrived in the order they were filed
    written = {
        "Tindak lanjut 1: petugas PUPR meninjau Jl. Kapten Pattimura.": pothole_copy["id"],
        "Tindak lanjut 2: lubang ditandai, penambalan dijadwalkan Rabu.": pothole_copy["id"],
        "Tindak lanjut 1: PLN dan Dishub sudah dihubungi.": lamp_id,
        "Tindak lanjut 2: tiga lampu PJU diganti besok pagi.": lamp_id,
    }
    received = sorted(
        (f["id"], f["content"], f["complaint_id"])
        for c in remote.values()
        for f in c["followups"]
        if f["content"] in written
    )
    # each on its own report (so after its create: it needed the create's number), once, in the order written
    assert [(content, on) for _id, content, on in received] == list(written.items())

    page.goto(f"{live_server.url}/kantor/laporan/{pothole.tracking_number}/")
    # readable again: the pull read the copy the admin linked and its tracking number came in
    assert f"SP4N-LAPOR! {pothole_copy['tracking_id']}" in page.inner_text("dl.facts")

    # ... and the admin sees it is over: no banner, nothing waits, and the end was mailed.
    page.goto(live_server.url + PAGE)
    page.screenshot(path=f"{artifacts}/3-all-clear.png", full_page=True)
    assert page.locator("#lapor-outage").count() == 0 and page.locator("#lapor-red").count() == 0
    assert page.inner_text("#lapor-pending").strip() == "0"
    assert [m.subject for m in outage_mails(mailoutbox) if "dihubungi" in m.subject] == [
        "SP4N-LAPOR! tidak dapat dihubungi",
        "SP4N-LAPOR! dapat dihubungi lagi",
    ]
    assert page.request.get(live_server.url + "/healthz").json()["lapor"] == {"state": "ok"}
