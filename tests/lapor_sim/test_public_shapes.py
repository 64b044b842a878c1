"""The simulator's default mode answers in the shapes the public SP4N-LAPOR! client relies on
(docs/lapor.md, "Evidence: what the public client relies on").

Every test talks to the simulator as a real process over real HTTP; no Django is involved.
"""

import json
import os
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from tests.lapor.conftest import start_simulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AUTH = {"Authorization": "Bearer sim-secret", "token": "sim-token"}
WIB = timezone(timedelta(hours=7))
LAPOR_DATE = re.compile(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}")
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%EOF\n"
CITY = 1571


class Sim:
    def __init__(self, proc, url, first_line):
        self.proc = proc
        self.url = url
        self.first_line = first_line
        self.http = httpx.Client(base_url=url, timeout=20)

    def control(self, path, body=None):
        response = self.http.post(path, json=body if body is not None else {})
        assert response.status_code == 200, response.text
        return response.json()

    def api(self, method, path, headers=None, **kwargs):
        return self.http.request(method, path, headers=AUTH if headers is None else headers, **kwargs)

    def dump(self):
        return {c["id"]: c for c in self.http.get("/__sim/state?complaints=1&followups=1&logs=1").json()["complaints"]}

    def tick(self):
        return self.control("/__sim/tick", {"everything": True})["done"]

    def stop(self):
        self.http.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


def start(data_dir, *extra):
    proc, url = start_simulator(data_dir, *extra)
    sim = Sim(proc, url, proc.first_line)
    sim.control(
        "/__sim/config",
        {"admin_delay": 0, "institution_delay": 0, "citizen_rate": 0, "citizen_response_delay": 0},
    )
    return sim


@pytest.fixture(scope="module")
def default_sim(tmp_path_factory):
    sim = start(tmp_path_factory.mktemp("lapor-sim-default"))
    yield sim
    sim.stop()


@pytest.fixture
def sim(default_sim):
    default_sim.control("/__sim/reset")
    default_sim.control("/__sim/faults", {"clear": True})
    default_sim.control("/__sim/endpoints", {"disabled": []})
    return default_sim


@pytest.fixture
def started(tmp_path):
    """Start a simulator with extra options: `started("--idempotency")`."""
    sims = []

    def _start(*extra):
        sims.append(start(tmp_path / f"sim{len(sims)}", *extra))
        return sims[-1]

    yield _start
    for s in sims:
        s.stop()


def upload(sim, *files):
    """files: (name, mime type, bytes); the multipart field is `attachments[]` as the public client sends it."""
    response = sim.api("POST", "/complaints/complaint/file", files=[("attachments[]", f) for f in files])
    assert response.status_code == 200, response.text
    return response.json()["results"]


def location_id(sim, code):
    items = sim.api("GET", "/masters/locations", params={"page_size": 1000}).json()["results"]["data"]
    return next(i["id"] for i in items if i["code"] == code)


def public_body(**overrides):
    """A create body exactly as the public client builds it (extra fields, nulls and booleans included)."""
    body = {
        "title": "Lampu jalan mati di Jl. Sultan Thaha",
        "content": "[Nomor Tiket SIKESAL: 2025-000123] Lampu jalan mati sudah dua minggu.",
        "channel": 13,
        "user_id": 987654,
        "classification_id": 6,
        "category_id": 436,
        "disposition_id": CITY,
        "location_id": 57,  # 15.71.08.1004 Lebak Bandung
        "date_of_incident": "2025-03-01",
        "tags_raw": "#sikesal",
        "is_anonymous": False,
        "is_secret": False,
        "is_priority": False,
        "attachments": False,
        "is_new_user_slider": False,
        "is_inbox": None,
        "is_disposisi_slider": False,
        "is_approval": None,
        "priority_program_id": None,
        "community_id": None,
        "copy_externals": None,
        "info_disposition": None,
        "info_attachments": None,
    }
    body.update(overrides)
    return body


def create(sim, path="/complaints/complaint-sikesal", headers=None, **overrides):
    response = sim.api("POST", path, json=public_body(**overrides), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["complaint_id"]


def parse_lapor(text):
    return datetime.strptime(text, "%d-%m-%Y %H:%M:%S").replace(tzinfo=WIB)


# 1. Create -------------------------------------------------------------------------------------------


def test_create_answers_complaint_id_at_top_level_and_takes_the_public_body(sim):
    ids = upload(sim, ("foto.png", PNG, "image/png"), ("surat.pdf", PDF, "application/pdf"))
    upload_ids = [d["id"] for d in ids["images"] + ids["docs"]]

    response = sim.api("POST", "/complaints/complaint-sikesal", json=public_body(attachments=json.dumps(upload_ids)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and isinstance(body["message"], str)
    assert isinstance(body["complaint_id"], int)
    assert "results" not in body

    plain = sim.api("POST", "/complaints/complaint", json=public_body(attachments=[upload_ids[0]])).json()
    assert "results" not in plain and isinstance(plain["complaint_id"], int)

    stored = sim.dump()
    assert [a["id"] for a in stored[body["complaint_id"]]["attachments"]] == upload_ids
    assert [a["id"] for a in stored[plain["complaint_id"]]["attachments"]] == [upload_ids[0]]
    assert stored[body["complaint_id"]]["classification_id"] == 6

    # No attachments at all, and an unknown location, as before.
    assert "complaint_id" in sim.api("POST", "/complaints/complaint-x_1", json=public_body(attachments=None)).json()
    bad = sim.api("POST", "/complaints/complaint-sikesal", json=public_body(location_id=1571081004))
    assert bad.status_code == 422 and "location_id" in bad.json()["errors"]
    assert sim.api("POST", "/complaints/complaint-Bad!", json=public_body()).status_code == 404


def test_the_exact_body_of_the_public_client_is_taken(sim):
    """Field for field as the public client (muhilman2012/admin_lmw_v2, LaporForwardingService) builds it:
    the upload ids as a string with a full stop after the array, `info_attachments` likewise, both
    sliders true, classification 6, `info_disposition` "-" and every flag true."""
    ids = upload(sim, ("foto.png", PNG, "image/png"), ("surat.pdf", PDF, "application/pdf"))
    joined = ",".join(str(d["id"]) for d in ids["images"] + ids["docs"])
    body = public_body(
        user_id=5218120,
        is_inbox=True,
        is_disposisi_slider=True,
        classification_id=6,
        info_disposition="-",
        info_attachments=f"[{joined}].",
        attachments=f"[{joined}].",
        is_approval=False,
        is_anonymous=True,
        is_secret=True,
        is_priority=True,
    )
    response = sim.api("POST", "/complaints/complaint-lmw", json=body)
    assert response.status_code == 200, response.text
    stored = sim.dump()[response.json()["complaint_id"]]
    assert [a["id"] for a in stored["attachments"]] == [int(i) for i in joined.split(",")]
    assert stored["classification_id"] == 6 and stored["is_secret"] and stored["is_anonymous"]


def test_fields_can_be_left_out_of_the_detail_and_the_list(sim):
    """No public evidence says the real service sends `updated_at`, `title`, `content`, `followup_count`
    or a numeric `disposition_id`: `/__sim/shape` leaves them out, so SIKESAL is tested without them."""
    rid = create(sim)
    omit = ["updated_at", "title", "content", "followup_count", "disposition_id"]
    assert sim.control("/__sim/shape", {"omit": omit})["omit"] == sorted(omit)
    try:
        detail = sim.api("GET", f"/complaints/{rid}/complaint").json()["results"]["data"]
        listed = sim.api("GET", "/complaints", params={"institution_id": CITY}).json()["results"]["data"]
        for item in (detail, listed[0]):
            assert item["id"] == rid and not set(omit) & set(item)
        assert sim.http.post("/__sim/shape", json={"omit": ["id"]}).status_code == 400
    finally:
        sim.control("/__sim/shape", {"omit": []})
    assert "updated_at" in sim.api("GET", f"/complaints/{rid}/complaint").json()["results"]["data"]


# 2. Idempotency --------------------------------------------------------------------------------------


def _create_twice_with_a_lost_answer(sim):
    key = {**AUTH, "Idempotency-Key": "sikesal-2025-000123"}
    sim.control("/__sim/faults", {"clear": True, "commit_500_rate": 1.0, "paths": ["/complaints/complaint"]})
    lost = sim.api("POST", "/complaints/complaint-sikesal", json=public_body(), headers=key)
    assert lost.status_code == 500  # committed, but the caller is told it failed
    sim.control("/__sim/faults", {"clear": True})
    retried = sim.api("POST", "/complaints/complaint-sikesal", json=public_body(), headers=key)
    assert retried.status_code == 200
    return len(sim.dump())


def test_idempotency_key_is_ignored_by_default_so_a_retried_create_makes_a_copy(sim):
    assert _create_twice_with_a_lost_answer(sim) == 2
    assert sim.http.get("/__sim/state").json()["config"]["idempotency"] is False


def test_idempotency_flag_brings_the_replay_back(started):
    assert _create_twice_with_a_lost_answer(started("--idempotency")) == 1


# 3. Upload -------------------------------------------------------------------------------------------


def test_upload_returns_photos_in_images_and_other_files_in_docs(sim):
    results = upload(sim, ("foto.png", PNG, "image/png"), ("surat.pdf", PDF, "application/pdf"))
    assert len(results["images"]) == 1 and len(results["docs"]) == 1
    assert results["images"][0]["mime_type"] == "image/png" and isinstance(results["images"][0]["id"], int)
    assert results["docs"][0]["mime_type"] == "application/pdf" and isinstance(results["docs"][0]["id"], int)
    only_pdf = upload(sim, ("surat.pdf", PDF, "application/pdf"))
    assert only_pdf["images"] == [] and len(only_pdf["docs"]) == 1


# 4. Follow-ups ---------------------------------------------------------------------------------------


def test_followups_have_no_id_an_object_author_and_lapor_dates(sim):
    cid = create(sim)
    sim.tick()
    added = sim.api(
        "POST",
        "/complaints/followup/add",
        data={"complaint_id": cid, "institution_from_id": CITY, "content": "Sedang kami cek.", "rating": 0},
    )
    assert added.status_code == 200, added.text
    sim.control(f"/__sim/complaint/{cid}", {"followup": {"content": "Terima kasih.", "from": "reporter"}})

    items = sim.api("GET", f"/complaints/{cid}/followups").json()["results"]["data"]
    assert [i["content"] for i in items] == ["Sedang kami cek.", "Terima kasih."]
    for item in items:
        assert "id" not in item
        assert LAPOR_DATE.fullmatch(item["created_at"])
        assert abs(parse_lapor(item["created_at"]) - datetime.now(UTC)) < timedelta(minutes=2)
        for key in ("attachments", "institution_from_name", "institution_to_id", "institution_to_name"):
            assert key in item
        for key in ("user_type", "is_secret", "rating", "template_code"):
            assert key in item
    city, reporter = items
    assert city["institution_from_id"] == {"id": CITY, "name": "Pemerintah Kota Jambi"}
    assert reporter["institution_from_id"] is None and reporter["user_type"] == "pelapor"


# 5. Locations ----------------------------------------------------------------------------------------


def test_locations_are_small_lapor_ids_with_kemendagri_codes(sim):
    items = sim.api("GET", "/masters/locations", params={"page_size": 1000}).json()["results"]["data"]
    assert [i["id"] for i in items] == list(range(1, len(items) + 1))
    by_code = {i["code"]: i for i in items}
    assert set(items[0]) == {"id", "name", "parent_id", "level", "code"}
    assert by_code["15"]["level"] == "provinsi" and by_code["15"]["parent_id"] is None
    assert by_code["15.71"]["parent_id"] == by_code["15"]["id"]
    kelurahan = by_code["15.71.08.1004"]
    assert kelurahan["name"] == "Lebak Bandung" and kelurahan["parent_id"] == by_code["15.71.08"]["id"]

    cid = create(sim, location_id=kelurahan["id"])
    detail = sim.api("GET", f"/complaints/{cid}/complaint").json()["results"]["data"]
    assert detail["location_id"] == kelurahan["id"] and "Lebak Bandung" in detail["location"]
    listed = sim.api("GET", "/complaints").json()["results"]["data"]
    assert listed[0]["location_id"] == kelurahan["id"]
    assert sim.dump()[cid]["location_code"] == "15.71.08.1004"

    citizen = sim.control("/__sim/citizen", {"count": 3})["complaint_ids"]
    for c in citizen:
        assert sim.dump()[c]["location_code"] in by_code


def test_a_version_1_store_is_migrated_to_small_location_ids(tmp_path, started):
    first = started()
    cid = create(first, location_id=location_id(first, "15.71.08.1004"))
    first.stop()
    db = sqlite3.connect(tmp_path / "sim0" / "lapor_sim.sqlite3")
    with db:  # as version 1 stored it: the Kemendagri code without dots
        db.execute("UPDATE complaints SET location_id = 1571081004 WHERE id = ?", (cid,))
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    db.close()
    again = start(tmp_path / "sim0")
    try:
        assert again.dump()[cid]["location_id"] == 57
        assert again.dump()[cid]["location_code"] == "15.71.08.1004"
    finally:
        again.stop()


# 6. Detail and its logs ------------------------------------------------------------------------------


def _fill(log):
    data = json.loads(log["data"])  # a JSON-encoded string, not an object
    names = {
        "institution_from": log["institution_from_name"],
        "institution_to": log["institution_to_name"],
        "institution_from_link": log["institution_from_name"],
        "institution_to_link": log["institution_to_name"],
        "status_old": (data["status_old"] or {}).get("name"),
        "status_new": (data["status_new"] or {}).get("name"),
    }
    return PLACEHOLDER.sub(lambda m: names[m.group(1)], log["content"])


def test_detail_logs_are_templates_with_names_beside_them(sim):
    cid = create(sim)
    sim.tick()  # the national admin dispositions it to the city
    forwarded = sim.api(
        "POST",
        f"/complaints/process/{cid}/reject",
        json={"is_request": 1, "not_authority": 1, "reason": 42, "reason_description": "Urusan PLN."},
    )
    assert forwarded.status_code == 200, forwarded.text

    results = sim.api("GET", f"/complaints/{cid}/complaint").json()["results"]
    data = results["data"]
    for key in ("status_code", "status_name", "disposition_id", "disposition_name", "tags_raw", "tracking_id"):
        assert key in data
    assert "followup_count" in data
    assert LAPOR_DATE.fullmatch(data["created_at"]) and LAPOR_DATE.fullmatch(data["updated_at"])

    logs = results["data_logs"]
    assert all(isinstance(log["data"], str) and LAPOR_DATE.fullmatch(log["date"]) for log in logs)
    assert all("id" not in log and "status_old" not in log and "status_new" not in log for log in logs)
    texts = [_fill(log) for log in logs]
    assert "Laporan didisposisikan dari {{institution_from}} ke {{institution_to}}" in logs[1]["content"]
    assert texts[1].startswith(
        "Laporan didisposisikan dari Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi"
        " ke Pemerintah Kota Jambi. Status berubah dari Belum Terverifikasi menjadi"
        " Terdisposisi Belum Ditindaklanjuti"
    )
    assert "{{institution_to_link}}" in logs[2]["content"]
    assert "ke PT PLN (Persero) UP3 Jambi" in texts[2] and "menjadi Bukan Wewenang" in texts[2]
    assert "Urusan PLN." in texts[2]
    assert all("{{" not in t for t in texts)


# 7. The pull list ------------------------------------------------------------------------------------


def test_list_dates_and_updated_since_in_both_formats(sim):
    ids = [create(sim) for _ in range(3)]
    time.sleep(1.1)  # the later changes fall in a later second
    sim.control(f"/__sim/complaint/{ids[1]}", {"status_code": 21})
    sim.control(f"/__sim/complaint/{ids[0]}", {"status_code": 21})

    items = sim.api("GET", "/complaints").json()["results"]["data"]
    assert [i["id"] for i in items] == [ids[2], ids[1], ids[0]]  # oldest change first
    assert all(LAPOR_DATE.fullmatch(i["updated_at"]) and LAPOR_DATE.fullmatch(i["created_at"]) for i in items)

    since_text = items[1]["updated_at"]  # second precision: ids[0] may share this second
    since = parse_lapor(since_text)
    forms = [
        since_text,
        since.isoformat(),  # 2025-03-01T08:15:00+07:00
        since.astimezone(UTC).isoformat(),  # the same instant with another offset
        since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.900000Z"),  # truncated to the second
    ]
    for form in forms:
        got = sim.api("GET", "/complaints", params={"updated_since": form}).json()["results"]["data"]
        assert [i["id"] for i in got] == [ids[1], ids[0]], form  # inclusive
    later = (since + timedelta(seconds=1)).strftime("%d-%m-%Y %H:%M:%S")
    assert sim.api("GET", "/complaints", params={"updated_since": later}).json()["results"]["data"] == []
    bad = sim.api("GET", "/complaints", params={"updated_since": "kemarin"})
    assert bad.status_code == 422


# 8. Optional endpoints switched off ------------------------------------------------------------------


def test_without_list_answers_404_and_endpoints_toggle_at_run_time(started):
    sim = started("--without", "list")
    assert "without=list" in sim.first_line
    off = sim.api("GET", "/complaints")
    assert off.status_code == 404 and off.json() == {"success": False, "message": "Not Found"}
    assert sim.api("GET", "/masters/categories").status_code == 200
    assert sim.http.get("/__sim/state").json()["config"]["disabled_endpoints"] == ["list"]

    now = sim.control("/__sim/endpoints", {"disabled": ["categories", "disposition"]})
    assert now["disabled"] == ["categories", "disposition"]
    assert sim.api("GET", "/complaints").status_code == 200
    assert sim.api("GET", "/masters/categories").json() == {"success": False, "message": "Not Found"}
    cid = create(sim)
    sim.tick()
    routed = sim.api("POST", f"/complaints/process/{cid}/disposition", json={"disposition_id": 1571002})
    assert routed.status_code == 404
    assert sim.http.post("/__sim/endpoints", json={"disabled": ["create"]}).status_code == 400
    assert sim.control("/__sim/endpoints", {"disabled": []})["disabled"] == []
    assert sim.api("GET", "/masters/categories").status_code == 200


# 9. Add a follow-up ----------------------------------------------------------------------------------


def test_add_followup_with_the_reply_template_keeps_the_status(sim):
    templates = sim.api("GET", "/masters/templates", params={"page_size": 1000}).json()["results"]["data"]
    codes = {t["code"]: t for t in templates}
    assert codes["reply_sikesal"]["status_code"] is None
    assert codes["tindak_lanjut"]["status_code"] is not None  # the status-moving ones are still there

    cid = create(sim)
    sim.tick()
    before = sim.api("GET", f"/complaints/{cid}/complaint").json()["results"]["data"]["status_code"]
    response = sim.api(
        "POST",
        "/complaints/followup/add",
        data={
            "user_id": "987654",
            "institution_from_id": str(CITY),
            "institution_to_id": str(CITY),
            "complaint_id": str(cid),
            "info_disposition": "",
            "template_code": "reply_sikesal",
            "rating": "0",
            "is_secret": "0",
            "content": "Sudah kami perbaiki.",
        },
        files=[("attachment[0]", ("bukti.png", PNG, "image/png"))],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and "id" not in body["results"]["data"]
    assert body["results"]["data"]["content"] == "Sudah kami perbaiki."
    after = sim.api("GET", f"/complaints/{cid}/complaint").json()["results"]["data"]["status_code"]
    assert after == before
    stored = sim.dump()[cid]["followups"][0]
    assert stored["template_code"] == "reply_sikesal" and stored["rating"] is None
    assert len(stored["attachments"]) == 1


# 10. Auth --------------------------------------------------------------------------------------------


def test_auth_is_exactly_bearer_secret_plus_token_by_default(sim):
    assert sim.api("GET", "/masters/statuses").status_code == 200
    for headers in (
        {"Authorization": "sim-secret", "token": "sim-token"},
        {"Authorization": "Bearer sim-secret"},
        {"X-Api-Key": "Bearer sim-secret", "token": "sim-token"},
    ):
        response = sim.api("GET", "/masters/statuses", headers=headers)
        assert response.status_code == 401 and response.json()["success"] is False


def test_auth_header_name_value_and_token_are_configurable(started):
    sim = started("--auth-header", "X-Api-Key", "--auth-value", "raw-secret", "--no-token")
    assert "auth header X-Api-Key" in sim.first_line and "token not required" in sim.first_line
    assert sim.api("GET", "/masters/statuses", headers={"X-Api-Key": "raw-secret"}).status_code == 200
    assert sim.api("GET", "/masters/statuses", headers=AUTH).status_code == 401
    assert sim.api("GET", "/masters/statuses", headers={"X-Api-Key": "Bearer raw-secret"}).status_code == 401

    renamed = started("--auth-header", "X-Lapor-Auth")
    assert renamed.api("GET", "/masters/statuses", headers={**AUTH}).status_code == 401
    ok = {"X-Lapor-Auth": "Bearer sim-secret", "token": "sim-token"}
    assert renamed.api("GET", "/masters/statuses", headers=ok).status_code == 200
    assert renamed.api("GET", "/masters/statuses", headers={"X-Lapor-Auth": "Bearer sim-secret"}).status_code == 401


# 11. Status control ----------------------------------------------------------------------------------


def test_sim_control_sets_any_status_as_the_national_admin(sim):
    cid = create(sim)
    sim.tick()
    before = sim.dump()[cid]["updated_at"]
    answer = sim.control(f"/__sim/complaint/{cid}", {"status_code": 99})
    assert answer["id"] == cid and answer["status_code"] == 99 and answer["updated_at"] > before

    results = sim.api("GET", f"/complaints/{cid}/complaint").json()["results"]
    assert results["data"]["status_code"] == 99
    last = results["data_logs"][-1]
    assert last["institution_from_id"] == 1
    assert json.loads(last["data"])["status_new"]["code"] == 99
    assert [i["id"] for i in sim.api("GET", "/complaints").json()["results"]["data"]][-1] == cid

    with_reply = sim.control(f"/__sim/complaint/{cid}", {"followup": {"content": "Kok belum?", "from": "reporter"}})
    assert with_reply["followups"][-1]["content"] == "Kok belum?"
    assert with_reply["followups"][-1]["institution_from_id"] is None
    assert sim.http.post(f"/__sim/complaint/{cid}", json={"status_code": "21"}).status_code == 400
    assert sim.http.post("/__sim/complaint/1", json={"status_code": 21}).status_code == 404


# 12. The internal dump -------------------------------------------------------------------------------


def test_state_dump_keeps_its_internal_shape_and_adds_the_location_code(sim):
    cid = create(sim, is_secret=True)
    sim.tick()
    sim.api("POST", "/complaints/followup/add", data={"complaint_id": cid, "content": "Dicek.", "rating": 0})
    item = sim.dump()[cid]
    for key in ("id", "tracking_id", "status_code", "status_name", "disposition_id", "tags_raw", "content"):
        assert key in item
    assert item["is_anonymous"] is False and item["is_secret"] is True
    assert item["location_id"] == 57 and item["location_code"] == "15.71.08.1004"
    assert item["attachments"] == [] and len(item["logs"]) == 2
    followup = item["followups"][0]
    assert isinstance(followup["id"], int) and followup["institution_from_id"] == CITY
    assert followup["content"] == "Dicek." and followup["template_code"] is None


# 13. Start-up line -----------------------------------------------------------------------------------


def test_start_line_has_the_url_and_the_mode(default_sim):
    line = default_sim.first_line
    assert default_sim.url.rsplit(":", 1)[1] in line
    assert "idempotency=off" in line and "auth header Authorization" in line and "without=none" in line
