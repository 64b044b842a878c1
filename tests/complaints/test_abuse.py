"""Abuse controls (issue #27 section 4): the block list the admin manages, pranks counting toward a block,
per-sender limits on every door, and nothing a blocked sender sends lost."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from sikesal.accounts.roles import Role
from sikesal.backoffice.models import AuditEntry
from sikesal.complaints import effect_queue, policy, senders
from sikesal.complaints.models import BlockedSender, Complaint
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import Status
from sikesal.integrations.notify.models import Notification
from tests.conftest import T0, make_user
from tests.portal.test_pages import FORM

BLOCKLIST = reverse("backoffice:blocklist")
INBOX = reverse("backoffice:inbox")
PHONE = "+6281234567890"  # FORM's "0812 3456 7890" in its canonical form


def file_web(client, ip="10.0.0.1", **overrides):
    data = {**FORM, "confirm_new": "1", **overrides}
    return client.post(reverse("portal:file"), data, REMOTE_ADDR=ip)


def block(admin, kind="phone", address=PHONE, **extra):
    return senders.add(kind, address, "Laporan palsu berulang", by=admin, **extra)


# --- The block list page ---------------------------------------------------------------------------------


def test_the_admin_adds_and_lifts_a_block_and_both_are_audited(client, clock, users):
    admin = users["admin"]
    client.force_login(admin)
    response = client.post(
        BLOCKLIST, {"kind": "phone", "address": "0812-3456-7890", "reason": "Iseng berulang", "days": "7"}
    )
    assert response.status_code == 302
    entry = BlockedSender.objects.get()
    assert (entry.address, entry.added_by, entry.reason) == (PHONE, admin, "Iseng berulang")
    assert entry.expires_at > T0 + dt.timedelta(days=7)
    assert senders.block_for("phone", "+62 812 3456 7890") == entry
    added = AuditEntry.objects.get(kind=AuditEntry.Kind.BLOCK_SENDER)
    assert (added.user, added.reason, added.detail["address"]) == (admin, "Iseng berulang", PHONE)

    page = client.get(BLOCKLIST).content.decode()
    assert PHONE in page and "Iseng berulang" in page

    client.post(reverse("backoffice:blocklist_lift", args=[entry.pk]), {"reason": "Salah orang"})
    assert senders.block_for("phone", PHONE) is None
    lifted = AuditEntry.objects.get(kind=AuditEntry.Kind.LIFT_BLOCK)
    assert (lifted.user, lifted.reason, lifted.detail["entry"]) == (admin, "Salah orang", entry.pk)
    client.post(reverse("backoffice:blocklist_lift", args=[entry.pk]))  # lifting again changes nothing
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.LIFT_BLOCK).count() == 1


def test_a_block_needs_a_reason_and_a_real_address(client, users):
    client.force_login(users["admin"])
    response = client.post(BLOCKLIST, {"kind": "email", "address": "bukan-alamat", "reason": ""})
    assert response.status_code == 400
    assert not BlockedSender.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("role", ["liaison", "executive", "ombudsman"])
def test_only_the_admin_manages_the_block_list(client, users, role):
    client.force_login(users[role])
    assert client.get(BLOCKLIST).status_code == 403
    client.post(BLOCKLIST, {"kind": "phone", "address": PHONE, "reason": "x"})
    assert not BlockedSender.objects.exists()
    assert not policy.can_manage_blocklist(Actor.for_user(users[role]))
    desk = make_user("loket", Role.DESK_OFFICER)
    client.force_login(desk)
    assert client.get(BLOCKLIST).status_code == 403


def test_a_block_ends_when_it_expires(clock, users):
    block(users["admin"], expires_at=T0 + dt.timedelta(days=30))
    assert senders.block_for("phone", "081234567890") is not None
    clock.shift(dt.timedelta(days=30, seconds=1))
    assert senders.block_for("phone", "081234567890") is None


# --- What a blocked sender sends ---------------------------------------------------------------------------


def test_a_blocked_phones_web_report_is_kept_held_for_the_admin_and_never_reaches_the_opd(client, clock, users, opd):
    opd_addresses = {"kepala@pupr.example"}
    for role in ("liaison", "officer", "head"):
        users[role].email = f"{role}@pupr.example"
        users[role].save()
        opd_addresses.add(users[role].email)
    opd.head_email = "kepala@pupr.example"
    opd.save()
    entry = block(users["admin"])
    response = file_web(client)
    assert response.status_code == 302  # the same confirmation as anyone's
    confirmation = client.get(response["Location"]).content.decode()
    assert "blokir" not in confirmation.lower()
    held = Complaint.objects.get()
    assert held.held_by == entry and held.status == Status.RECEIVED
    assert held.events.get().payload["held_by"] == entry.pk
    effect_queue.drain()

    client.force_login(users["admin"])
    assert held.tracking_number in client.get(INBOX, {"antrian": "diblokir"}).content.decode()
    assert held.tracking_number not in client.get(INBOX, {"antrian": "baru"}).content.decode()
    page = client.get(reverse("backoffice:report", args=[held.tracking_number])).content.decode()
    assert 'id="held"' in page and "Laporan palsu berulang" in page

    for role in ("liaison", "officer", "head"):
        actor = Actor.for_user(users[role])
        assert not policy.can_view(actor, held)
        assert not policy.visible_complaints(actor, Complaint.objects.all()).exists()
    told = set(Notification.objects.values_list("to", flat=True))
    assert told and not told & opd_addresses  # the reporter's receipt only
    assert not [m for m in mail.outbox if opd_addresses & set(m.to)]


def test_an_unblocked_sender_files_as_before(client, clock, users):
    block(users["admin"], address="+6281111111111")
    assert file_web(client).status_code == 302
    assert Complaint.objects.get().held_by is None


def test_a_blocked_email_holds_a_rest_report_too(client, clock, users, settings):
    from tests.api.test_rest_v1 import REPORT

    block(users["admin"], kind="email", address="Budi@Example.com")
    client.force_login(users["citizen"])
    report = {**REPORT, "reporter": {"name": "Budi", "email": "budi@example.COM"}}
    response = client.post("/api/v1/reports", report, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Complaint.objects.get().held_by.address == "budi@example.com"


def test_the_desk_officer_is_warned_and_may_still_record(client, clock, users):
    from tests.backoffice.test_desk import desk_form

    entry = block(users["admin"], address="0812-3456-7891")
    client.force_login(make_user("loket", Role.DESK_OFFICER))
    warned = client.post(reverse("backoffice:desk"), desk_form())
    assert warned.status_code == 200 and 'id="blocked-warning"' in warned.content.decode()
    assert not Complaint.objects.exists()
    filed = client.post(reverse("backoffice:desk"), desk_form(blocked_seen=str(entry.pk)))
    assert filed.status_code == 302
    assert Complaint.objects.get().held_by is None  # a person at the desk was checked


# --- Per-sender limits ------------------------------------------------------------------------------------


def test_the_per_sender_limit_refuses_the_next_report_from_any_address_and_loses_nothing(
    client, clock, settings, catalogue
):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "file_per_sender_per_hour": 2}
    settings.LANGUAGE_CODE = "id"
    assert file_web(client, ip="10.0.0.1", idempotency_key="a" * 20).status_code == 302
    assert file_web(client, ip="10.0.0.2", phone="+62 812-3456-7890", idempotency_key="b" * 20).status_code == 302
    refused = file_web(client, ip="10.0.0.3", phone="6281234567890", idempotency_key="c" * 20)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Terlalu banyak laporan dari nomor telepon atau alamat e-mail ini" in page
    assert FORM["body"] in page  # what was typed is still in the form
    assert Complaint.objects.count() == 2
    clock.shift(3600)
    assert file_web(client, ip="10.0.0.3", idempotency_key="c" * 20).status_code == 302
    assert Complaint.objects.count() == 3


# --- Pranks ---------------------------------------------------------------------------------------------------


def _prank(submit, act, when, phone="081299990000"):
    complaint = submit(now=when, reporter={"name": "Iseng", "phone": phone, "email": ""})
    act(complaint, "archive", now=when, reason="prank", message="Bukan laporan.")
    return complaint


def test_three_pranks_within_thirty_days_block_the_sender_automatically(clock, submit, act):
    first = [_prank(submit, act, T0 + dt.timedelta(days=d)) for d in (0, 10)]
    effect_queue.drain()
    assert not BlockedSender.objects.exists()
    third = _prank(submit, act, T0 + dt.timedelta(days=20), phone="+62 812 9999 0000")
    effect_queue.drain()
    entry = BlockedSender.objects.get()
    assert (entry.kind, entry.address, entry.added_by) == ("phone", "+6281299990000", None)
    assert entry.expires_at == T0 + dt.timedelta(days=50)
    for c in (*first, third):
        assert c.tracking_number in entry.reason
    audit = AuditEntry.objects.get(kind=AuditEntry.Kind.BLOCK_SENDER)
    assert audit.user is None and third.tracking_number in audit.reason

    # the worker running the event again blocks nothing more
    from sikesal.backoffice.blocklist import block_pranksters

    block_pranksters(third.events.get(action="archive"))
    assert BlockedSender.objects.count() == 1 and AuditEntry.objects.count() == 1


def test_three_pranks_spread_over_ninety_days_do_not(clock, submit, act):
    for days in (0, 45, 90):
        _prank(submit, act, T0 + dt.timedelta(days=days))
    effect_queue.drain()
    assert not BlockedSender.objects.exists()


def test_other_archive_reasons_do_not_count(clock, submit, act):
    for days in (0, 1, 2):
        c = submit(now=T0 + dt.timedelta(days=days), reporter={"name": "A", "phone": "081299990000"})
        act(c, "archive", now=T0 + dt.timedelta(days=days))  # "unclear"
    effect_queue.drain()
    assert not BlockedSender.objects.exists()


def test_a_chat_channel_counts_messages_per_sender_per_minute(clock, db, settings):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "messages_per_sender_per_minute": 2}
    verdicts = [senders.check("phone", "081234567890", "whatsapp", scope=senders.MESSAGE) for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    assert senders.check("phone", "081234567891", "whatsapp", scope=senders.MESSAGE).allowed  # another sender
    assert senders.check("phone", "081234567890", "sms", scope=senders.MESSAGE).allowed  # another conversation
    assert senders.check("phone", "081234567890", "sms", scope=senders.MESSAGE).allowed  # another conversation
    assert not senders.check("phone", "081234567890", "whatsapp").entry  # limited, not blocked
    clock.shift(60)
    assert senders.check("phone", "+6281234567890", "whatsapp", scope=senders.MESSAGE).allowed
