"""Filing a report: validation at the edge, idempotency, attachments checked and cleaned, nothing half-written."""

import io
import os

import pikepdf
import pytest
from django.conf import settings
from PIL import Image

from sikesal.complaints import submission
from sikesal.complaints.errors import InvalidInput, NotAllowed
from sikesal.complaints.models import Attachment, Complaint, Event, Reporter
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import Status
from tests.conftest import report_data


def jpeg_with_gps():
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "HP Murah"  # camera make
    exif[0x8825] = {1: "S", 2: (1.0, 36.0, 36.0), 3: "E", 4: (103.0, 36.0, 47.0)}  # GPS position of the reporter
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def small_pdf():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def stored_files():
    root = settings.MEDIA_ROOT / "attachments"
    return sum(len(files) for _, _, files in os.walk(root)) if root.exists() else 0


def nothing_written():
    return Complaint.objects.count() == 0 and Event.objects.count() == 0 and Reporter.objects.count() == 0


def test_a_good_report_is_received(submit):
    c = submit()
    assert c.status == Status.RECEIVED
    assert c.tracking_number.startswith("JBI-2611-") and len(c.tracking_number) == 13
    assert c.reporter.name == "Budi Santoso"
    assert c.events.get().action == "submit"


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"body": ""}, "body"),
        ({"body": "x" * 20000}, "body"),
        ({"title": "   "}, "title"),
        ({"service": "teleportasi"}, "service"),
        ({"area": "15.71.99.9999"}, "area"),
        ({"area": "15.71.01"}, "area"),  # a kecamatan is not a kelurahan
        ({"latitude": "-6.2", "longitude": "106.8"}, "location"),  # Jakarta
        ({"latitude": "abc", "longitude": "103.6"}, "location"),
        ({"latitude": "nan", "longitude": "103.6"}, "location"),
        ({"latitude": "-1.6", "longitude": ""}, "location"),
        ({"incident_date": "2999-01-01"}, "incident_date"),
        ({"incident_date": "kemarin"}, "incident_date"),
        ({"type": "gosip"}, "type"),
        ({"reporter": {"phone": "12ab"}}, "phone"),
        ({"reporter": {"email": "bukan-email"}}, "email"),
        ({"reporter": {"nik": "123"}}, "nik"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(catalogue, overrides, field):
    with pytest.raises(InvalidInput) as exc:
        submission.submit(Actor.system(), report_data(**overrides))
    assert field in exc.value.fields
    assert exc.value.as_dict()["code"] == "invalid_report"
    assert nothing_written()


def test_all_problems_are_reported_at_once(catalogue):
    with pytest.raises(InvalidInput) as exc:
        submission.submit(Actor.system(), report_data(title="", body="", service="x"))
    assert {"title", "body", "service"} <= set(exc.value.fields)


def test_extra_questions_are_checked(catalogue):
    data = report_data(service="pipa-bocor", answers={"besar_bocor": "tsunami"})
    with pytest.raises(InvalidInput) as exc:
        submission.submit(Actor.system(), data)
    assert "answers.besar_bocor" in exc.value.fields
    c = submission.submit(
        Actor.system(), report_data(service="pipa-bocor", answers={"besar_bocor": "menyembur"})
    ).complaint
    assert c.answers == {"besar_bocor": "menyembur"}


def test_idempotency_key_makes_a_repeat_harmless(catalogue):
    data = report_data(idempotency_key="form-7f3a9c21")
    first = submission.submit(Actor.system(), data)
    again = submission.submit(Actor.system(), data)
    assert again.replayed and again.complaint.pk == first.complaint.pk
    assert again.secret == first.secret and first.complaint.check_secret(first.secret)
    assert Complaint.objects.count() == 1


def test_secret_is_stored_only_as_hash(submit, catalogue):
    result = submission.submit(Actor.system(), report_data())
    assert result.secret not in result.complaint.secret_hash
    assert result.complaint.check_secret(result.secret)
    assert not result.complaint.check_secret("tebakan")


def test_photo_is_stored_without_exif(catalogue):
    c = submission.submit(Actor.system(), report_data(), [("lubang.jpg", jpeg_with_gps())]).complaint
    att = c.attachments.get()
    assert att.kind == "photo" and att.content_type == "image/jpeg"
    with att.file.open("rb") as fh, Image.open(fh) as img:
        assert len(img.getexif()) == 0
    assert "lubang" not in att.file.name  # stored under a random name


def test_disguised_file_is_refused_and_nothing_is_written(catalogue):
    before = stored_files()
    files = [("foto.jpg", jpeg_with_gps()), ("foto2.jpg", b"MZ\x90\x00 this is a windows program")]
    with pytest.raises(InvalidInput) as exc:
        submission.submit(Actor.system(), report_data(), files)
    assert "foto2.jpg" in str(exc.value.fields["attachments"])
    assert nothing_written() and Attachment.objects.count() == 0
    assert stored_files() == before


def test_broken_image_with_jpeg_magic_is_refused(catalogue):
    with pytest.raises(InvalidInput):
        submission.submit(Actor.system(), report_data(), [("x.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100)])


def test_size_limits_and_count(catalogue, settings):
    settings.SIKESAL_UPLOAD_MAX_BYTES = {"photo": 1000, "pdf": 1000, "video": 1000}
    with pytest.raises(InvalidInput):
        submission.submit(Actor.system(), report_data(), [("a.pdf", b"%PDF-1.4\n" + b"0" * 2000)])
    with pytest.raises(InvalidInput):
        submission.submit(Actor.system(), report_data(), [("a.pdf", b"%PDF-1.4\n")] * 6)
    c = submission.submit(Actor.system(), report_data(), [("surat.pdf", small_pdf())]).complaint
    assert c.attachments.get().kind == "pdf"
    assert nothing_written() is False


def test_only_allowed_roles_submit(catalogue, actors):
    with pytest.raises(NotAllowed):
        submission.submit(actors["liaison"], report_data())
    c = submission.submit(actors["citizen"], report_data()).complaint
    assert c.reporter.user == actors["citizen"].user
    event = c.events.get()
    assert event.actor is None and event.actor_label == "Pelapor"  # the timeline never names the reporter
