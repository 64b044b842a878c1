"""Nothing a flooding or blocked sender sends is lost (issue #27, section 4): it is kept, marked, and the
admin reads it on the block list page, except the texts that would tie an anonim reporter to their address."""

import html

import pytest
from django.urls import reverse

from sikesal.accounts.roles import Role
from sikesal.complaints import policy, senders
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.core import ratelimit
from tests.inbound.conftest import SmsGateway

BLOCKLIST = reverse("backoffice:blocklist")


def page(client, user):
    client.force_login(user)
    response = client.get(BLOCKLIST)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.mark.django_db(transaction=True)
def test_a_flood_is_kept_unanswered_and_the_admin_reads_it_per_sender(sms_phone, client, settings, users):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "messages_per_sender_per_minute": 2}
    ratelimit.forget_local()
    for n in range(4):
        sms_phone.say(f"CEK nomor palsu ke-{n}")
    assert len(sms_phone.answers()) == 2  # the two within the limit; the flood is not answered
    shown = page(client, users["admin"])
    section = shown[shown.index('id="held-messages"') :]
    assert "+6281234567890" in section
    assert "CEK nomor palsu ke-2" in section and "CEK nomor palsu ke-3" in section
    assert "CEK nomor palsu ke-0" not in section  # answered normally: not held
    assert "banjir pesan: tidak dijawab" in section


@pytest.mark.django_db(transaction=True)
def test_a_blocked_senders_messages_are_listed_but_an_anonim_filers_texts_are_withheld(
    sms_phone, client, settings, users, outbox
):
    senders.add("phone", "+6281234567890", "Iseng berulang", by=users["admin"])
    senders.add("phone", "+6281299990000", "Iseng berulang", by=users["admin"])
    sms_phone.say("LAPOR Jalan rusak parah di depan pasar, Kelurahan Sungai Putri, banyak lubang")
    anonim = SmsGateway(client, settings, outbox, "+6281299990000")
    anonim.say("LAPOR anonim Pungutan liar di kantor kelurahan, Kelurahan Sungai Putri, tiap hari")
    assert Complaint.objects.filter(held_by__isnull=False).count() == 2  # filed, held for the admin

    shown = page(client, users["admin"])
    section = shown[shown.index('id="held-messages"') :]
    assert "Jalan rusak parah di depan pasar" in section and "pengirim diblokir" in section
    assert "+6281299990000" in section  # its messages are there, marked...
    assert "Pungutan liar" not in section  # ...but not what would tie the number to the anonim report
    assert "tidak ditampilkan: pengirim ini pernah mengirim laporan anonim" in section


def test_only_the_admin_reads_a_senders_messages(users):
    for role, user in users.items():
        actor = Actor.for_user(user)
        assert policy.can_read_sender_messages(actor, filed_anonymously=False) == (actor.role == Role.ADMIN), role
        assert not policy.can_read_sender_messages(actor, filed_anonymously=True), role
