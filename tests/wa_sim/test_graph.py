"""The Graph API side SIKESAL calls: sends (and the 24-hour rule), status callbacks, media, tokens."""

import base64
import hashlib

from .conftest import PHONE_ID, TOKEN

CITIZEN = "6281234567890"


def text(body, to=CITIZEN):
    return {"to": to, "type": "text", "text": {"body": body}}


TEMPLATE = {
    "to": CITIZEN,
    "type": "template",
    "template": {
        "name": "laporan_ditindaklanjuti",
        "language": {"code": "id"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "JBI-2026-00042"}]}],
    },
}


def test_a_send_inside_the_window_answers_a_wamid_and_reports_sent_delivered_read(sim, receiver):
    sim.say("halo")
    response = sim.send(text("Laporan Anda diterima"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": CITIZEN, "wa_id": CITIZEN}]
    wamid = answer["messages"][0]["id"]
    assert receiver.wait_for(lambda: len(receiver.statuses(wamid)) == 3)
    assert [s["status"] for s in receiver.statuses(wamid)] == ["sent", "delivered", "read"]
    assert all(s["recipient_id"] == CITIZEN for s in receiver.statuses(wamid))


def test_free_text_outside_the_24_hour_window_fails_and_a_template_goes_through(sim, receiver):
    sim.say("halo")
    sim.post("/__sim/clock", {"advance": 25 * 3600})
    late = sim.send(text("Ada kabar baru")).json()["messages"][0]["id"]
    template = sim.send(TEMPLATE).json()["messages"][0]["id"]
    sim.idle()
    [failed] = receiver.statuses(late)
    assert failed["status"] == "failed" and failed["errors"][0]["code"] == 131047
    assert [s["status"] for s in receiver.statuses(template)] == ["sent", "delivered", "read"]


def test_the_refuse_mode_answers_the_send_itself_with_131047(sim):
    sim.post("/__sim/config", {"window": "refuse"})
    refused = sim.send(text("belum pernah menulis", to="6281311112222"))
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == 131047
    assert sim.send({**TEMPLATE, "to": "6281311112222"}).status_code == 200


def test_configured_failures_come_back_as_failed_statuses(sim, receiver):
    sim.say("halo")
    sim.post("/__sim/config", {"fail_share": 1.0})
    wamid = sim.send(text("tidak sampai")).json()["messages"][0]["id"]
    sim.idle()
    assert [(s["status"], s["errors"][0]["code"]) for s in receiver.statuses(wamid)] == [("failed", 131026)]


def test_media_round_trip_keeps_bytes_and_sha256(sim, receiver):
    photo = b"\xff\xd8\xff\xe0 not really a photo, but bytes are bytes \xff\xd9"
    sim.post("/__sim/send", {"from": CITIZEN, "image": {"base64": base64.b64encode(photo).decode()}})
    media = receiver.messages()[0]["image"]
    assert media["sha256"] == hashlib.sha256(photo).hexdigest()
    for path in (f"/v21.0/{media['id']}", f"/{media['id']}"):
        info = sim.http.get(path, headers=TOKEN).json()
        assert info["sha256"] == media["sha256"] and info["file_size"] == len(photo)
        assert info["mime_type"] == "image/jpeg" and info["id"] == media["id"]
    download = sim.http.get(info["url"], headers=TOKEN)
    assert download.status_code == 200 and download.content == photo
    assert download.headers["content-type"] == "image/jpeg"
    assert sim.http.get(info["url"]).status_code == 401


def test_wrong_or_missing_access_tokens_are_refused(sim):
    wrong = sim.send(text("x"), headers={"Authorization": "Bearer guessed"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["type"] == "OAuthException" and wrong.json()["error"]["code"] == 190
    assert sim.send(text("x"), headers={}).status_code == 401
    assert sim.http.get("/v21.0/1100000000000001").status_code == 401


def test_unprefixed_paths_work_and_a_wrong_phone_number_id_does_not(sim):
    sim.say("halo")
    assert sim.send(text("tanpa versi"), path=f"/{PHONE_ID}/messages").status_code == 200
    wrong = sim.send(text("salah nomor"), path="/v21.0/999/messages")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == 100


def test_bad_sends_are_refused_with_invalid_parameter(sim):
    sim.say("halo")
    assert sim.send({"to": CITIZEN, "type": "text", "text": {"body": ""}}).json()["error"]["code"] == 100
    buttons = {"type": "button", "body": {"text": "Pilih"}, "action": {"buttons": []}}
    assert sim.send({"to": CITIZEN, "type": "interactive", "interactive": buttons}).status_code == 400


def test_the_transcript_reads_back_both_directions_in_order(sim, receiver):
    sim.say("Jalan rusak di depan pasar")
    out = sim.send(text("Terima kasih, laporan Anda JBI-2026-00042")).json()["messages"][0]["id"]
    sim.say("cek JBI-2026-00042", reply_to=out)
    sim.idle()
    transcript = sim.http.get("/__sim/transcript", params={"phone": CITIZEN}).json()["messages"]
    assert [(m["direction"], m["text"]) for m in transcript] == [
        ("in", "Jalan rusak di depan pasar"),
        ("out", "Terima kasih, laporan Anda JBI-2026-00042"),
        ("in", f"(reply to {out}) cek JBI-2026-00042"),
    ]
    assert transcript[1]["status"] == "read"
    readable = sim.http.get("/__sim/transcript", params={"phone": CITIZEN, "format": "text"}).text
    lines = readable.splitlines()
    assert len(lines) == 3
    assert "6281234567890 (Rina) -> SIKESAL: Jalan rusak di depan pasar" in lines[0]
    assert "SIKESAL -> 6281234567890: Terima kasih, laporan Anda JBI-2026-00042  [read]" in lines[1]
    log = (sim.data_dir / "transcript.log").read_text()
    assert "SIKESAL -> 6281234567890: Terima kasih" in log
