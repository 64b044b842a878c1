"""WhatsApp end to end: the Cloud API simulator (wa_sim, a process) signs and delivers the citizens' messages
to a live SIKESAL server, the worker answers through the simulator's Graph API and downloads photos from its
media endpoint, and the assertions read what the citizen's phone shows: the simulator's transcript."""

import os

import httpx
import pytest
from django.conf import settings as django_settings

from sikesal.catalogue.models import Area, AreaLevel
from sikesal.complaints.models import Complaint, Event
from sikesal.integrations.inbound.models import InboundMessage
from sikesal.integrations.notify.models import Notification
from tests.whatsapp.conftest import run_worker
from tests.whatsapp.test_whatsapp import DESCRIPTION, KELURAHAN, numbered
from wa_sim import process

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CITIZEN = "6281234567890"
LOCATION = {"latitude": -1.6101, "longitude": 103.6131, "name": "Pasar Angso Duo"}


class Sim:
    """The simulator's control endpoints, as a test drives a citizen's phone."""

    def __init__(self, url):
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=60)

    def post(self, path, body=None):
        response = self.http.post(path, json=body if body is not None else {})
        assert response.status_code == 200, response.text
        return response.json()

    def send(self, phone=CITIZEN, **message):
        """One message, answered once its webhook (and any copy) has been taken; then the worker runs."""
        sent = self.post("/__sim/send", {"from": phone, "name": "Rina", **message})
        run_worker()
        return sent

    def say(self, *texts, phone=CITIZEN):
        for text in texts:
            self.send(phone, text=text)

    def settle(self):
        """Every webhook delivered (status callbacks included) and handled."""
        assert self.post("/__sim/idle", {"timeout": 30})["idle"]
        run_worker()

    def transcript(self, phone=CITIZEN):
        return self.http.get("/__sim/transcript", params={"phone": phone}).json()["messages"]

    def from_sikesal(self, phone=CITIZEN):
        return [m for m in self.transcript(phone) if m["direction"] == "out"]

    def deliveries(self):
        return self.http.get("/__sim/deliveries").json()["deliveries"]


@pytest.fixture(scope="module")
def simulator_process(tmp_path_factory):
    s = django_settings
    proc, url = process.start(
        tmp_path_factory.mktemp("wa-sim"),
        "--app-secret", s.SIKESAL_WHATSAPP_APP_SECRET, "--verify-token", s.SIKESAL_WHATSAPP_VERIFY_TOKEN,
        "--access-token", s.SIKESAL_WHATSAPP_ACCESS_TOKEN, "--phone-number-id", s.SIKESAL_WHATSAPP_PHONE_NUMBER_ID,
    )  # fmt: skip
    yield url
    process.stop(proc)


@pytest.fixture
def sim(simulator_process, live_server, settings, catalogue):
    """A fresh simulator delivering to the live server, and SIKESAL sending to the simulator."""
    s = Sim(simulator_process)
    s.post("/__sim/reset")
    s.post(
        "/__sim/config",
        {"webhook": f"{live_server.url}/webhooks/whatsapp/", "retry_base": 0.05, "status_delay": 0.01},
    )
    settings.SIKESAL_WHATSAPP_API_URL = simulator_process
    yield s
    s.post("/__sim/idle", {"timeout": 10})  # nothing of this test lands in the next one
    s.http.close()


def conversation_by_list():
    kelurahan = Area.objects.get(pk=KELURAHAN)
    return [
        {"text": "Halo"},
        {"text": DESCRIPTION},
        {"text": numbered(kelurahan.parent_id, AreaLevel.KECAMATAN)},
        {"text": numbered(KELURAHAN, AreaLevel.KELURAHAN, kelurahan.parent_id)},
        {"image": {"caption": "lubangnya"}},
        {"text": "lanjut"},
        {"text": "1"},
        {"text": "ya"},
    ]


def conversation_by_location():
    return [{"text": "Halo"}, {"text": DESCRIPTION}, {"location": LOCATION}, {"text": "lewati"}]


def receipts(sim, phone=CITIZEN):
    return [m for m in sim.from_sikesal(phone) if "/pelapor/" in m["text"]]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_citizen_files_with_a_photo_checks_the_status_and_replies_to_the_receipt(sim):
    for message in conversation_by_list():
        sim.send(**message)
    c = Complaint.objects.get()
    assert c.channel == "whatsapp" and c.area_id == KELURAHAN and c.reporter.phone == "+6281234567890"
    photo = c.attachments.get()  # downloaded through the simulator's media endpoint, checked, stored
    assert photo.kind == "photo" or photo.content_type.startswith("image/")
    said = [m["text"] for m in sim.from_sikesal()]
    assert "Ceritakan" in said[0]
    kecamatan_list = said[1]
    assert "kecamatan" in kecamatan_list and Area.objects.get(pk=KELURAHAN).parent.name in kecamatan_list
    assert Area.objects.get(pk=KELURAHAN).name in said[2]
    assert "Foto diterima (1)" in said[4]
    assert DESCRIPTION in said[6] and "Foto: 1" in said[6]  # the summary to confirm
    (receipt,) = receipts(sim)
    assert receipt["text"].startswith("Terima kasih") and c.tracking_number in receipt["text"]

    sim.say(f"cek {c.tracking_number}")
    status = sim.from_sikesal()[-1]["text"]
    assert status.startswith(f"{c.tracking_number}: Diterima") and f"/lacak/{c.tracking_number}/" in status

    sim.send(text="Lubangnya makin besar setelah hujan semalam.", reply_to=receipt["wamid"])
    assert sim.from_sikesal()[-1]["text"] == f"Balasan Anda sudah ditambahkan ke laporan {c.tracking_number}."
    comment = Event.objects.get(complaint=c, action="comment")
    assert comment.message == "Lubangnya makin besar setelah hujan semalam."
    sim.settle()
    assert {m["status"] for m in sim.from_sikesal()} == {"read"}  # every answer reached the phone


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_redelivered_and_shuffled_webhooks_file_one_report_and_answer_each_message_once(sim):
    sim.post("/__sim/config", {"redeliver": 3})
    messages = [{"from": CITIZEN, "name": "Rina", **m} for m in conversation_by_location()]
    messages += [{"from": CITIZEN, "text": t} for t in ("1", "ya")]
    other = "6281355501234"
    messages += [{"from": other, "name": "Budi", **m} for m in conversation_by_location()]
    burst = sim.post("/__sim/burst", {"messages": messages, "out_of_order": True, "timeout": 60})
    assert burst["delivered"] and len(burst["deliveries"]) == 4 * len(messages)  # each webhook and 3 copies
    order = [d["wamids"][0] for d in sim.deliveries() if d["kind"] == "message" and d["copy"] == 0]
    assert order != burst["wamids"]  # they did arrive shuffled
    run_worker()
    sim.settle()

    c = Complaint.objects.get()  # one report, from the citizen who confirmed
    assert c.latitude == pytest.approx(LOCATION["latitude"]) and c.reporter.phone == "+6281234567890"
    assert InboundMessage.objects.filter(kind="message").count() == len(messages)  # none lost, none doubled
    (receipt,) = receipts(sim)
    assert c.tracking_number in receipt["text"]
    said = [m["text"] for m in sim.from_sikesal()]
    assert len(said) == 6  # one answer to each of the six messages, in the order they were written
    assert "Ceritakan" in said[0] and "kecamatan" in said[1] and "anonim" in said[3].lower()
    budi = [m["text"] for m in sim.from_sikesal(other)]
    assert len(budi) == 4 and "anonim" in budi[-1].lower()  # still choosing privacy, nothing filed for him


@pytest.mark.django_db(transaction=True)
def test_a_forged_delivery_is_refused_with_403_and_nothing_is_stored(sim):
    sent = sim.post(
        "/__sim/send", {"from": CITIZEN, "text": DESCRIPTION, "forged": True, "retry_attempts": 2, "timeout": 20}
    )
    assert not sent["delivered"]
    attempts = [d for d in sim.deliveries() if sent["wamid"] in d["wamids"]]
    assert attempts and {d["http_status"] for d in attempts} == {403}
    run_worker()
    assert InboundMessage.objects.count() == 0 and Complaint.objects.count() == 0
    assert sim.from_sikesal() == []  # the phone heard nothing back


@pytest.mark.slow
@pytest.mark.parametrize("window", ["status", "refuse"])
@pytest.mark.django_db(transaction=True)
def test_a_notification_the_platform_refuses_for_its_24_hour_window_goes_again_as_the_template(sim, act, window):
    sim.post("/__sim/config", {"window": window})
    for message in [*conversation_by_location(), {"text": "1"}, {"text": "ya"}]:
        sim.send(**message)
    c = Complaint.objects.get()
    sim.settle()
    # A day and more passes on the platform's clock; SIKESAL's own record still places the citizen's last
    # message inside the window, so it writes free text, which the platform does not let through.
    sim.post("/__sim/clock", {"advance": 25 * 3600})
    act(c, "verify")
    run_worker()
    sim.settle()
    sim.settle()  # the failed status is handled, and the retry it queued is sent
    notification = Notification.objects.get(event__action="verify", channel="whatsapp")
    said = sim.from_sikesal()
    after_receipt = said[said.index(receipts(sim)[0]) + 1 :]
    templates = [m for m in after_receipt if m["type"] == "template"]
    assert len(templates) == 1 and templates[0]["status"] in {"delivered", "read"}
    assert templates[0]["text"].startswith("[template sikesal_status_update (id)]")
    assert c.tracking_number in templates[0]["text"] and "Diverifikasi" in templates[0]["text"]
    texts = [m for m in after_receipt if m["type"] == "text"]
    if window == "status":  # the free text was accepted, then failed with 131047, as the platform does
        assert [(m["status"], m["error_code"]) for m in texts] == [("failed", 131047)]
    else:  # refused outright: nothing reached the phone but the template
        assert texts == []
    assert notification.state == "sent"
