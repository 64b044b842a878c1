"""The report page's "Pesan kepada pelapor": whether each update reached the reporter, the reason only for who
reads the identity, and a warning when a request for information reached the reporter on no channel."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from sikesal.complaints import effect_queue, policy
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.integrations.notify.models import Notification

BOUNCE = "email: 550 5.1.1 <budi@example.com>: mailbox unavailable"
SHOWN_BOUNCE = escape(BOUNCE)  # as the page writes it
WARNING = "Pelapor belum menerima permintaan informasi ini"


@pytest.fixture(autouse=True)
def _outbox_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the SMS channel writes its JSON-lines outbox there when no gateway is set


def page(client, user, complaint):
    client.force_login(user)
    return client.get(reverse("backoffice:report", args=[complaint.tracking_number]))


def section(html):
    """The "Messages to the reporter" section of a report page, or "" when the page has none."""
    found = re.search(r'<section class="card" id="messages".*?</section>', html, re.S)
    return found.group(0) if found else ""


def rows(html):
    return re.findall(r'<tr class="delivery-[a-z]+">.*?</tr>', section(html), re.S)


def verified_with_a_bounce(submit, act):
    """A report verified through the door, its messages written by the worker's side effects, and the
    e-mail about the verification bounced (the bounce names the address, as mail servers do)."""
    complaint = submit()  # Budi left an e-mail address and a phone number
    verify = act(complaint, "verify").event
    effect_queue.drain()
    assert set(Notification.objects.filter(event=verify).values_list("channel", "state")) == {
        ("email", "sent"),
        ("sms", "sent"),
    }
    Notification.objects.filter(event=verify, channel="email").update(state="failed", last_error=BOUNCE)
    return complaint


def test_the_admin_sees_each_message_and_why_one_failed(client, users, submit, act):
    complaint = verified_with_a_bounce(submit, act)
    html = page(client, users["admin"], complaint).content.decode()
    assert "Pesan kepada pelapor" in html
    lines = rows(html)
    assert len(lines) == 4  # receipt and verification, each by e-mail and SMS
    failed = lines[0] if "Gagal" in lines[0] else lines[1]  # newest first: the verification's two
    assert "Diverifikasi dan didisposisikan" in failed and "E-mail" in failed and SHOWN_BOUNCE in failed
    assert "Laporan diterima" in lines[-1] and "Terkirim" in lines[-1]
    assert sum("SMS" in line for line in lines) == 2
    assert WARNING not in html
    # the page itself stays staff only, as before
    client.logout()
    url = reverse("backoffice:report", args=[complaint.tracking_number])
    assert client.get(url)["Location"].startswith(reverse("backoffice:login"))
    assert page(client, users["citizen"], complaint).status_code == 403
    assert page(client, users["dpo"], complaint).status_code == 404


def test_an_opd_officer_who_may_not_read_the_identity_sees_the_state_without_the_reason(client, users, submit, act):
    complaint = verified_with_a_bounce(submit, act)
    Complaint.objects.filter(pk=complaint.pk).update(is_anonymous=True)
    html = page(client, users["liaison"], complaint).content.decode()
    failed = [line for line in rows(html) if "Gagal" in line]
    assert len(failed) == 1 and "Diverifikasi dan didisposisikan" in failed[0]
    assert "mailbox unavailable" not in html and "budi@example.com" not in html
    # the admin reads an anonim reporter's reasons only with the identity, after an audited reveal
    html = page(client, users["admin"], complaint).content.decode()
    assert "Gagal" in section(html) and "mailbox unavailable" not in html
    revealed = client.post(
        reverse("backoffice:reveal", args=[complaint.tracking_number]), {"reason": "Pesan verifikasi gagal terkirim"}
    )
    assert SHOWN_BOUNCE in section(revealed.content.decode())


def test_an_opd_officer_who_reads_the_identity_sees_the_reason(client, users, submit, act):
    complaint = verified_with_a_bounce(submit, act)
    assert SHOWN_BOUNCE in section(page(client, users["officer"], complaint).content.decode())


def test_a_merged_reports_reporter_is_another_recipient_whose_reason_is_not_shown(client, users, submit, act):
    original = submit()
    act(original, "verify")
    effect_queue.drain()
    duplicate = submit(title="Jalan berlubang juga", reporter={"name": "Dewi", "email": "dewi@example.id"})
    act(duplicate, "merge", target=original)
    followup = act(original, "add_followup").event  # public: Dewi follows the original from the merge on
    effect_queue.drain()
    Notification.objects.filter(event=followup, to="dewi@example.id").update(
        state="failed", last_error="email: 550 <dewi@example.id>: no such user"
    )
    html = page(client, users["admin"], original).content.decode()
    to_dewi = [line for line in rows(html) if "penerima lain" in line]
    assert len(to_dewi) == 1 and "Gagal" in to_dewi[0]
    assert "dewi@example.id" not in html  # her identity is her own report's, not this one's
    assert all("penerima lain" not in line for line in rows(html) if "Laporan diterima" in line)


def test_who_may_see_the_messages(in_state, actors):
    complaint = in_state("dispositioned")  # with Dinas PUPR
    allowed = {name for name, actor in actors.items() if policy.can_see_deliveries(actor, complaint)}
    assert allowed == {"admin", "liaison", "officer", "head", "executive", "ombudsman"}
    for actor in (Actor.reporter(complaint), Actor.for_user(None), Actor.system()):
        assert not policy.can_see_deliveries(actor, complaint)


def requested(submit, act, **reporter):
    complaint = submit(**({"reporter": reporter} if reporter else {}))
    request = act(complaint, "request_info").event
    return complaint, request


def test_a_request_that_reached_the_reporter_on_no_channel_is_a_warning(client, users, submit, act):
    complaint, request = requested(submit, act)
    assert WARNING not in page(client, users["admin"], complaint).content.decode()  # not yet written: no alarm
    effect_queue.drain()
    assert WARNING not in page(client, users["admin"], complaint).content.decode()  # sent
    Notification.objects.filter(event=request, channel="sms").update(state="failed", last_error="sms: undelivered")
    Notification.objects.filter(event=request, channel="email").update(state="held", last_error="unconfirmed contact")
    html = page(client, users["admin"], complaint).content.decode()
    box = re.search(r'<div class="notice warn" role="alert">.*?</div>', section(html), re.S)
    assert box and WARNING in box.group(0) and "dengan cara lain" in box.group(0)
    # a delivery report says one of them arrived after all
    Notification.objects.filter(event=request, channel="sms").update(state="sent", last_error="")
    assert WARNING not in page(client, users["admin"], complaint).content.decode()


def test_a_request_to_a_reporter_who_left_no_contact_is_a_warning(client, users, submit, act):
    complaint, request = requested(submit, act, name="Tanpa Kontak")
    effect_queue.drain()
    assert not Notification.objects.filter(event=request).exists()
    html = page(client, users["admin"], complaint).content.decode()
    assert WARNING in section(html) and "Belum ada pesan kepada pelapor" in section(html)


def test_an_answered_request_is_no_longer_a_warning(client, users, submit, act):
    complaint, request = requested(submit, act, name="Tanpa Kontak")
    effect_queue.drain()
    assert WARNING in page(client, users["admin"], complaint).content.decode()
    act(complaint, "supply_info")
    assert WARNING not in page(client, users["admin"], complaint).content.decode()


def test_the_page_costs_the_same_queries_with_many_messages(client, users, submit, act):
    complaint = verified_with_a_bounce(submit, act)
    act(complaint, "add_followup")  # in progress: the page offers the same actions from here on
    effect_queue.drain()
    Notification.objects.exclude(event__action="submit").delete()  # two messages left: the receipt's
    client.force_login(users["admin"])
    url = reverse("backoffice:report", args=[complaint.tracking_number])
    client.get(url)  # warm: the session, the catalogue snapshot
    with CaptureQueriesContext(connection) as few:
        assert len(rows(client.get(url).content.decode())) == 2
    events = [act(complaint, "add_followup", message=f"Tahap {i}.").event for i in range(4)]
    Notification.objects.bulk_create(
        Notification(event=e, channel="email", to="budi@example.com", state="failed", last_error=BOUNCE) for e in events
    )
    Notification.objects.bulk_create(Notification(event=e, channel="sms", to="+6281234567890") for e in events)
    with CaptureQueriesContext(connection) as many:
        assert len(rows(client.get(url).content.decode())) == 10
    assert len(many.captured_queries) <= len(few.captured_queries), [q["sql"] for q in many.captured_queries]
