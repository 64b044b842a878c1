"""The simulator delivers webhooks as the platform does: signed, at least once, not always in order."""

import datetime as dt
import hashlib
import hmac
import json

import httpx

from .conftest import APP_SECRET, PHONE_ID, start_simulator, stop_simulator


def signed_with(secret, request):
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(request["headers"]["X-Hub-Signature-256"], expected)


def test_a_citizen_message_arrives_signed_in_the_cloud_api_shape(sim, receiver):
    wamid = sim.say("Lampu jalan mati di Telanaipura / RT 05")["wamid"]
    [request] = receiver.requests
    assert signed_with(APP_SECRET, request)
    assert b"\\/" in request["body"], "the platform escapes slashes: verify the raw bytes, not re-encoded JSON"
    payload = json.loads(request["body"])
    assert payload["object"] == "whatsapp_business_account"
    value = payload["entry"][0]["changes"][0]["value"]
    assert payload["entry"][0]["changes"][0]["field"] == "messages"
    assert value["metadata"]["phone_number_id"] == PHONE_ID
    assert value["contacts"] == [{"profile": {"name": "Rina"}, "wa_id": "6281234567890"}]
    [message] = value["messages"]
    assert message["id"] == wamid and wamid.startswith("wamid.")
    assert message["from"] == "6281234567890" and message["type"] == "text"
    assert message["text"]["body"] == "Lampu jalan mati di Telanaipura / RT 05"
    assert message["timestamp"].isdigit()


def test_a_forged_webhook_does_not_verify(sim, receiver):
    sim.say("palsu", forged=True)
    [request] = receiver.requests
    assert not signed_with(APP_SECRET, request)


def test_re_delivery_sends_the_same_message_id_again(sim, receiver):
    wamid = sim.say("sekali saja", redeliver=2)["wamid"]
    assert [m["id"] for m in receiver.messages()] == [wamid] * 3
    assert len({r["body"] for r in receiver.requests}) == 1, "a re-delivery is the very same body"
    assert all(signed_with(APP_SECRET, r) for r in receiver.requests)


def test_out_of_order_changes_the_order_of_a_burst_and_keeps_every_message(sim, receiver):
    texts = [{"from": "6281200000001", "text": f"pesan {i}"} for i in range(20)]
    in_order = sim.post("/__sim/burst", {"messages": texts})["wamids"]
    assert [m["id"] for m in receiver.messages()] == in_order
    receiver.clear()
    shuffled = sim.post("/__sim/burst", {"messages": texts, "out_of_order": True})["wamids"]
    arrived = [m["id"] for m in receiver.messages()]
    assert arrived != shuffled
    assert sorted(arrived) == sorted(shuffled)


def test_a_paced_burst_delivers_at_its_rate_in_order_and_refuses_a_bad_rate(sim, receiver):
    texts = [{"from": "6281200000002", "text": f"pelan {i}"} for i in range(6)]
    sent = sim.post("/__sim/burst", {"messages": texts, "rate": 10})["wamids"]
    assert [m["id"] for m in receiver.messages()] == sent
    log = [d for d in sim.http.get("/__sim/deliveries").json()["deliveries"] if d["wamids"][0] in sent]
    times = sorted(dt.datetime.fromisoformat(d["at"].replace("Z", "+00:00")) for d in log)
    assert times[-1] - times[0] >= dt.timedelta(seconds=0.45)  # 6 at 10 a second: the last 0.5 s after the first
    for bad in (0, -5, "fast", True):
        assert sim.http.post("/__sim/burst", json={"messages": texts, "rate": bad}).status_code == 400


def test_a_webhook_answered_non_2xx_is_retried_until_it_is_taken(sim, receiver):
    receiver.answers = [500, 503]
    answer = sim.say("coba lagi")
    assert answer["delivered"] is True
    assert answer["deliveries"][0]["attempts"] == 3
    assert [m["id"] for m in receiver.messages()] == [answer["wamid"]] * 3
    log = sim.http.get("/__sim/deliveries").json()["deliveries"]
    assert [d["http_status"] for d in log] == [500, 503, 200]


def test_retries_stop_after_the_configured_attempts(sim, receiver):
    receiver.answers = [500] * 10
    answer = sim.say("tidak pernah diterima", retry_attempts=3)
    assert answer["delivered"] is False
    assert len(receiver.requests) == 3


def test_photo_document_location_and_choices_arrive_in_their_shapes(sim, receiver):
    phone = "6281298765432"
    sim.post("/__sim/send", {"from": phone, "image": {"caption": "jalan berlubang"}})
    sim.post("/__sim/send", {"from": phone, "document": {"filename": "surat.pdf"}})
    sim.post(
        "/__sim/send",
        {"from": phone, "location": {"latitude": -1.61, "longitude": 103.61, "name": "Simpang Kawat"}},
    )
    first = receiver.messages()[0]["id"]
    sim.post("/__sim/send", {"from": phone, "list_reply": {"id": "kec-3", "title": "Telanaipura"}, "reply_to": first})
    image, document, location, choice = receiver.messages()
    assert image["type"] == "image" and image["image"]["mime_type"] == "image/jpeg"
    assert image["image"]["caption"] == "jalan berlubang" and image["image"]["id"].isdigit()
    assert document["document"]["filename"] == "surat.pdf" and document["document"]["mime_type"] == "application/pdf"
    assert location["location"] == {"latitude": -1.61, "longitude": 103.61, "name": "Simpang Kawat"}
    assert choice["interactive"] == {"type": "list_reply", "list_reply": {"id": "kec-3", "title": "Telanaipura"}}
    assert choice["context"]["id"] == first


def test_the_verification_handshake_reports_whether_the_challenge_came_back(sim):
    assert sim.post("/__sim/verify")["ok"] is True
    refused = sim.post("/__sim/verify", {"verify_token": "wrong"})
    assert refused["ok"] is False and refused["status"] == 403


def test_status_callbacks_may_arrive_shuffled_but_their_timestamps_keep_the_order(sim, receiver):
    sim.say("halo")
    sim.post("/__sim/config", {"out_of_order": True})
    sent = [sim.send({"to": "6281234567890", "type": "text", "text": {"body": f"balasan {i}"}}) for i in range(5)]
    sim.idle()
    arrival_orders = []
    for response in sent:
        statuses = receiver.statuses(response.json()["messages"][0]["id"])
        arrival_orders.append([s["status"] for s in statuses])
        by_time = sorted(statuses, key=lambda s: int(s["timestamp"]))
        assert [s["status"] for s in by_time] == ["sent", "delivered", "read"]
    assert any(order != ["sent", "delivered", "read"] for order in arrival_orders)


def test_a_restarted_simulator_never_hands_out_a_wamid_twice(tmp_path, receiver):
    """SIKESAL remembers wamids to drop re-deliveries; a new message must never look like an old one."""
    seen = []
    for _ in range(2):
        proc, url = start_simulator(tmp_path, receiver.url)
        try:
            with httpx.Client(base_url=url) as http:
                seen.append(http.post("/__sim/send", json={"from": "6281234567890", "text": "halo"}).json()["wamid"])
                http.post("/__sim/reset")
        finally:
            stop_simulator(proc)
    assert seen[0] != seen[1]
