"""Lifting a restriction of processing (UU PDP Pasal 11, 41; docs/privacy.md, "Lifting a restriction"): the
DPO lifts it with a reason, the request and the audit log keep it, the citizen is told, and updates reach
them again; nobody else can, a GET changes nothing, a reason is required, and a second lift is harmless."""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from sikesal.backoffice.models import AuditEntry
from sikesal.complaints import policy
from sikesal.integrations.notify.models import Notification
from sikesal.privacy.models import DataRequest, Restriction
from tests.privacy.conftest import run_worker

REASON = "Warga meminta kabar laporannya dikirim lagi."


@pytest.fixture
def restricted(budi, office):
    """Budi's restriction of his first report, carried out by the DPO (the real pages)."""
    first = budi["mine"][0]
    budi["client"].post(reverse("privacy:ask"), {"kind": "restriction", "report": first.tracking_number})
    data_request = DataRequest.objects.get()
    office().post(reverse("privacy_office:request", args=[data_request.pk]), {"outcome": "done", "reason": "Dibatasi."})
    assert Restriction.objects.filter(reporter=first.reporter, request=data_request).exists()
    mail.outbox.clear()
    return data_request


def lift(client, data_request, reason=REASON, **kwargs):
    return client.post(reverse("privacy_office:lift_restriction", args=[data_request.pk]), {"reason": reason}, **kwargs)


def my_data(budi):
    return budi["client"].get(reverse("privacy:mine")).content.decode()


def unchanged(data_request):
    data_request.refresh_from_db()
    return (
        Restriction.objects.filter(request=data_request).count() == 1
        and (data_request.lifted_at, data_request.lifted_by, data_request.lift_reason) == (None, None, "")
        and not AuditEntry.objects.filter(kind=AuditEntry.Kind.LIFT_RESTRICTION).exists()
        and not mail.outbox
    )


@pytest.mark.django_db(transaction=True)  # the worker sends the messages
def test_the_dpo_lifts_a_restriction_and_updates_reach_the_citizen_again(clock, budi, office, restricted, act):
    from tests.conftest import T0

    first = budi["mine"][0]
    assert "pemrosesan dibatasi" in my_data(budi)
    act(first, "verify")  # while restricted: held
    run_worker()  # (the receipts go out too)
    mail.outbox.clear()

    dpo = office()
    page = dpo.get(reverse("privacy_office:request", args=[restricted.pk])).content.decode()
    assert 'id="lift"' in page and "Cabut pembatasan" in page and "csrfmiddlewaretoken" in page
    clock.shift(3600)  # lifted at 10:00 WIB
    response = lift(dpo, restricted, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "Pembatasan sudah dicabut dan warga sudah diberi tahu." in page
    assert "Pembatasan dicabut" in page and REASON in page and 'id="lift"' not in page

    assert not Restriction.objects.exists()
    restricted.refresh_from_db()
    assert restricted.lifted_at == T0 + dt.timedelta(hours=1) and restricted.lifted_by.username == "dpo"
    assert restricted.lift_reason == REASON
    assert restricted.status == DataRequest.Status.DONE  # the decision stays what it was
    entry = AuditEntry.objects.get(kind=AuditEntry.Kind.LIFT_RESTRICTION)
    assert (entry.user.username, entry.complaint_id, entry.reason) == ("dpo", first.pk, REASON)
    assert entry.detail == {"request": restricted.pk, "reporters": 1}
    assert 'data-kind="lift_restriction"' in dpo.get(reverse("privacy_office:audit")).content.decode()

    (told,) = mail.outbox
    assert told.to == ["budi@example.com"] and told.subject == "Permintaan data pribadi Anda"
    since = "pembatasan pemrosesan yang Anda minta tanggal 02-11-2026 09:00 dicabut mulai 02-11-2026 10:00 WIB"
    assert since in told.body and "tidak dikirim susulan" in told.body and REASON in told.body

    page = my_data(budi)
    assert "pemrosesan dibatasi" not in page
    assert "pembatasan dicabut" in page and REASON in page  # the citizen's record of the request says so

    # a later update reaches him again; the one held meanwhile is not sent afterwards
    act(first, "start")
    act(first, "add_followup")
    run_worker()
    states = dict(
        Notification.objects.filter(event__complaint=first, to="budi@example.com").values_list("event__action", "state")
    )
    assert states["add_followup"] == Notification.State.SENT
    assert states["verify"] == Notification.State.HELD


@pytest.mark.parametrize("name", ["admin", "officer", "liaison", "citizen", "anonymous"])
def test_nobody_but_the_dpo_lifts_a_restriction(office, restricted, name):
    other = Client() if name == "anonymous" else office(name)
    response = lift(other, restricted)
    if name == "anonymous":
        assert response["Location"].startswith(reverse("backoffice:login"))
    else:
        assert response.status_code == 403
    assert unchanged(restricted)


def test_only_the_dpo_may_lift_in_the_policy(actors):
    assert {name for name, actor in actors.items() if policy.can_lift_restriction(actor)} == {"dpo"}
    assert not policy.can_lift_restriction(policy.Actor.for_user(None))


def test_a_get_changes_nothing_and_the_form_needs_its_csrf_token(office, users, restricted):
    assert office().get(reverse("privacy_office:lift_restriction", args=[restricted.pk])).status_code == 405
    assert unchanged(restricted)
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(users["dpo"])
    assert lift(forged, restricted).status_code == 403
    assert unchanged(restricted)


def test_a_lift_without_a_reason_is_refused_with_a_clear_message(office, restricted):
    response = lift(office(), restricted, reason="   ", follow=True)
    assert response.status_code == 200
    assert "Tuliskan alasan yang akan dibaca warga." in response.content.decode()
    assert unchanged(restricted)


def test_lifting_twice_is_harmless(clock, office, restricted, budi):
    dpo = office()
    lift(dpo, restricted)
    restricted.refresh_from_db()
    lifted_at = restricted.lifted_at
    clock.shift(60)
    response = lift(dpo, restricted, reason="Sekali lagi.", follow=True)
    assert response.status_code == 200 and "Pembatasan ini sudah dicabut." in response.content.decode()
    restricted.refresh_from_db()
    assert (restricted.lifted_at, restricted.lift_reason) == (lifted_at, REASON)
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.LIFT_RESTRICTION).count() == 1
    assert len(mail.outbox) == 1

    # a request that restricts nothing has no lift
    budi["client"].post(reverse("privacy:ask"), {"kind": "objection", "detail": "Keberatan."})
    objection = DataRequest.objects.get(kind=DataRequest.Kind.OBJECTION)
    assert lift(dpo, objection).status_code == 404
    assert 'id="lift"' not in dpo.get(reverse("privacy_office:request", args=[objection.pk])).content.decode()
