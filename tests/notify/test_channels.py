"""Issue 26, item 2: channels are a registry. Each channel keeps its own limits and refuses the addresses it
cannot reach, on the real notify path; no code outside the registry branches on a channel's name."""

import ast
import json
import pathlib
from types import SimpleNamespace

import pytest
from django.core import mail

from sikesal.complaints.models import Reporter
from sikesal.integrations.notify import channels
from sikesal.integrations.notify.models import Notification
from tests.notify.test_notify import gateway, run_worker  # noqa: F401 (gateway is a fixture)

CHANNEL_NAMES = {channel.name for channel in channels.REGISTRY}
ROOT = pathlib.Path(__file__).resolve().parents[2] / "sikesal"
REGISTRY_DIR = ROOT / "integrations" / "notify" / "channels"


def _names_a_channel(node):
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
    else:  # a match case: its value, or each of its alternatives
        sides = getattr(node.pattern, "patterns", [node.pattern])
    for side in sides:
        values = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
        for value in values:
            value = value.value if isinstance(value, ast.MatchValue) else value
            if isinstance(value, ast.Constant) and value.value in CHANNEL_NAMES:
                return True
    return False


def test_only_the_registry_compares_anything_to_a_channel_name():
    assert {"email", "sms", "whatsapp", "webpush"} <= CHANNEL_NAMES
    found = []
    for path in ROOT.rglob("*.py"):
        if REGISTRY_DIR in path.parents or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Compare, ast.match_case)) and _names_a_channel(node):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_the_scan_sees_a_comparison_to_a_channel_name():
    for source in ['channel == "sms"', 'kind in ("email", "phone")', "match c:\n case 1 | 'whatsapp': pass"]:
        node = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.Compare, ast.match_case)))
        assert _names_a_channel(node), source


def sms_lines(tmp_path, channel="sms"):
    return [json.loads(line) for line in (tmp_path / "outbox" / f"{channel}.jsonl").read_text().splitlines()]


@pytest.mark.django_db(transaction=True)
def test_a_long_sms_is_shortened_in_its_request_and_keeps_the_number_and_links(in_state, act, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.SITE_URL = "https://pengaduan.layanan-publik.pemerintah-kota-jambi.example.go.id/" + "portal/" * 12
    c = in_state("received")
    act(c, "request_info")
    run_worker()
    text = sms_lines(tmp_path)[-1]["message"]
    assert len(text) <= channels.get("sms").capabilities.max_length
    assert channels.get("sms").length(text) == len(text)  # GSM-7: no character forces UCS-2
    assert text.startswith(f"SIKESAL {c.tracking_number}: ")
    assert f"{settings.SITE_URL}/lacak/{c.tracking_number}/" in text and text.endswith(f"{settings.SITE_URL}/masuk/")
    assert "... " in text  # the request was cut, visibly
    whole = mail.outbox[-1].body  # the e-mail has no such limit: the whole request
    assert "Tanpa" in whole and "Tanpa" not in text


def short_context(**extra):
    complaint = SimpleNamespace(tracking_number="JBI-2611-AB2C")
    return {"complaint": complaint, "label": "Diterima", "status": "Diterima", "ask": "", **extra} | {
        "track_url": "https://sikesal.example/lacak/JBI-2611-AB2C/",
        "account_url": "https://sikesal.example/masuk/",
    }


def test_an_sms_with_a_character_outside_gsm7_counts_ucs2_parts():
    sms = channels.get("sms")
    text = sms.render(short_context(ask="Mohon kirim foto 📷 " * 30)).body
    assert sms.length(text) <= sms.ucs2_max_length < sms.capabilities.max_length
    assert text.endswith("https://sikesal.example/masuk/")
    plain = sms.render(short_context(label="Laporan “diterima” — terima kasih")).body
    assert '"diterima" - terima kasih' in plain  # typography made GSM-7, not a reason for UCS-2


@pytest.mark.django_db(transaction=True)
def test_a_number_sms_cannot_reach_is_refused_with_the_reason_and_the_email_still_goes(submit, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    c = submit(reporter={"name": "Budi", "phone": "0741-123456", "email": "budi@example.com"})  # a landline
    run_worker()
    sms = Notification.objects.get(event__complaint=c, channel="sms")
    assert sms.state == "failed" and sms.attempts == 0
    assert sms.last_error == "0741123456 is not an Indonesian mobile number (08…)"
    assert not (tmp_path / "outbox" / "sms.jsonl").exists()
    assert [m.to for m in mail.outbox] == [["budi@example.com"]]


@pytest.mark.django_db(transaction=True)
def test_an_email_address_the_channel_refuses_is_not_sent_and_says_why(submit, act, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    c = submit()
    run_worker()
    mail.outbox.clear()
    Reporter.objects.filter(complaint=c).update(email="budi.example.com")  # as an import could have stored it
    c.refresh_from_db()
    act(c, "verify")
    run_worker()
    email = Notification.objects.get(event__complaint=c, event__action="verify", channel="email")
    assert email.state == "failed" and email.last_error == "budi.example.com is not an e-mail address"
    assert mail.outbox == []
    assert Notification.objects.get(event__complaint=c, event__action="verify", channel="sms").state == "sent"


def test_phone_numbers_have_one_canonical_form():
    for channel in (channels.get("sms"), channels.get("whatsapp")):
        forms = {
            channel.normalise(n) for n in ["081234567890", "+62 812-3456-7890", "6281234567890", "(0812) 34567890"]
        }
        assert forms == {"+6281234567890"}
        assert channel.normalise("+6591234567") == "+6591234567"  # a foreign number keeps its own code
        with pytest.raises(channels.InvalidAddress, match="write an Indonesian number with 0 or \\+62"):
            channel.normalise("81234567890")


@pytest.mark.django_db(transaction=True)
def test_phone_numbers_go_to_whatsapp_when_chosen_with_its_whole_text(submit, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.SIKESAL_CONTACT_CHANNELS = {"phone": "whatsapp"}
    settings.SIKESAL_WHATSAPP_API_URL = ""  # no Cloud API: the file outbox, as the other channels'
    c = submit()
    run_worker()
    (line,) = sms_lines(tmp_path, "whatsapp")
    assert line["to"] == "+6281234567890" and c.tracking_number in line["message"]
    assert "“" in line["message"]  # UTF-8: the typography stays
    assert not (tmp_path / "outbox" / "sms.jsonl").exists()
    whatsapp = channels.get("whatsapp").capabilities
    assert whatsapp.templates and whatsapp.media and whatsapp.max_length == 4096


@pytest.mark.django_db(transaction=True)
def test_a_delivery_report_names_the_notification_the_gateway_was_given(gateway, submit):  # noqa: F811
    submit()
    run_worker()
    _, body = gateway.received[0]
    sms = Notification.objects.get(channel="sms")
    assert body["reference"] == str(sms.pk)
    change = channels.get("sms").status_change(
        {"reference": body["reference"], "status": "undelivered", "error": "absent subscriber"}
    )
    assert (change.notification_id, change.state, change.error) == (sms.pk, "failed", "sms: absent subscriber")
    assert channels.get("sms").status_change({"reference": body["reference"], "status": "queued"}) is None
    # A report that names no notification (a conversation's answer goes with no reference) changes nothing.
    assert channels.get("sms").status_change({"status": "delivered"}) is None


def test_web_push_is_in_the_registry_but_never_a_reporters_contact(settings):
    push = channels.get("webpush")
    assert push.capabilities.contact == channels.Contact.PUSH
    assert push not in [
        channel for channel, _ in channels.reporter_contacts(SimpleNamespace(email="a@b.id", phone="081234567890"))
    ]
    with pytest.raises(channels.InvalidAddress, match="SIKESAL_PUSH_SERVICE_HOSTS"):
        push.normalise("http://10.0.0.1/push")


def test_a_phone_channel_the_registry_lacks_stops_the_start(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    call_command("check")  # the shipped settings pass
    settings.SIKESAL_CONTACT_CHANNELS = {"phone": "whatsap"}  # a typo in SIKESAL_PHONE_CHANNEL
    with pytest.raises(SystemCheckError, match="whatsap"):
        call_command("check")
