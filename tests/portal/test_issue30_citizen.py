"""Issue #30, citizens: photos kept across the duplicate hint, limits that count people and filed reports,
the merged report's link, the rating comment's publicity, the agency's photos, the Ombudsman's messages,
and the confirmation opened in another browser. (The browser side: tests/browser/test_citizen_form.py.)"""

import io
import json
import re

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from sikesal.complaints import actions
from sikesal.complaints.models import Complaint, hash_secret
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import Visibility
from sikesal.integrations.ombudsman import service
from sikesal.portal import staged_uploads
from tests.notify.test_notify import run_worker
from tests.ombudsman.test_ombudsman import IDENTITY
from tests.portal.test_pages import FORM, file


def jpeg(name, colour=(40, 90, 160)):
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def client(client, db):
    client.get(reverse("portal:file"))  # as a browser does: the form's page gives it its CSRF cookie
    return client


@pytest.fixture
def original(submit, act):
    """A public report the form's duplicate check finds: FORM's title, service and kelurahan."""
    c = submit(now=timezone.now(), title=FORM["title"], body=FORM["body"], service=FORM["service"], area=FORM["area"])
    act(c, "verify")
    return c


# --- 2. Photos are kept across the duplicate hint -------------------------------------------------------


def test_photos_chosen_before_the_duplicate_hint_are_filed_with_the_report(client, original):
    hint = file(client, attachments=[jpeg("satu.jpg"), jpeg("dua.jpg", (200, 30, 30))])
    html = hint.content.decode()
    assert hint.status_code == 200 and 'id="duplicates"' in html
    assert "satu.jpg" in html and "dua.jpg" in html  # the citizen sees they are kept
    token = re.search(r'name="staged" value="([^"]+)"', html).group(1)
    sent = file(client, confirm_new="1", staged=token)
    assert sent.status_code == 302
    filed = Complaint.objects.exclude(pk=original.pk).get()
    assert filed.attachments.count() == 2
    assert default_storage.listdir(staged_uploads.ROOT)[0] == []  # gone once filed


def test_staged_photos_are_this_browsers_only_and_pass_the_same_checks(client, original):
    hint = file(client, attachments=[jpeg("foto.jpg"), SimpleUploadedFile("x.exe", b"MZ\x90\x00" * 50)])
    html = hint.content.decode()
    token = re.search(r'name="staged" value="([^"]+)"', html).group(1)
    assert "x.exe" in html and 'id="staged-files"' in html  # refused, and said so; the photo kept
    # Another browser holding the token (a shared link, a copied form) gets nothing.
    from django.test import Client

    other = Client()
    other.get(reverse("portal:file"))
    assert file(other, confirm_new="1", staged=token, idempotency_key="o" * 20).status_code == 302
    assert Complaint.objects.exclude(pk=original.pk).get().attachments.count() == 0
    assert file(client, confirm_new="1", staged=token).status_code == 302
    assert Complaint.objects.exclude(pk=original.pk).latest("pk").attachments.count() == 1


def test_a_refused_form_keeps_its_photos_and_stale_staged_files_are_purged(client, catalogue):
    refused = file(client, body="terlalu pendek", attachments=[jpeg("foto.jpg")])
    assert refused.status_code == 400
    token = re.search(r'name="staged" value="([^"]+)"', refused.content.decode()).group(1)
    assert file(client, staged=token).status_code == 302
    assert Complaint.objects.get().attachments.count() == 1
    file(client, body="terlalu pendek", attachments=[jpeg("lagi.jpg")], idempotency_key="p" * 20)
    import time

    assert staged_uploads.purge(now=time.time()) == 0  # a fresh one stays
    assert staged_uploads.purge(now=time.time() + staged_uploads.MAX_AGE + 5) == 1


def test_a_photo_read_by_a_refused_submit_is_kept_whole(client, catalogue):
    """The fields pass, so submit() reads every file before it refuses the second one: the photo it read must
    still be kept with all its content, not as the empty rest of an upload already read."""
    pixels = Image.new("RGB", (64, 48))
    pixels.putdata([(x * 4, y * 5, (x + y) % 256) for y in range(48) for x in range(64)])
    buf = io.BytesIO()
    pixels.save(buf, "PNG")  # lossless: the cleaned copy filed has these pixels exactly
    photo = SimpleUploadedFile("foto.png", buf.getvalue(), content_type="image/png")
    note = SimpleUploadedFile("catatan.txt", b"bukan foto", content_type="text/plain")
    refused = file(client, attachments=[photo, note])
    html = refused.content.decode()
    assert refused.status_code == 400 and "catatan.txt" in html
    kept = re.search(r'name="staged" value="([^"]+)"', html)
    # The citizen leaves out the text file and sends the form again, with what it kept.
    sent = file(client, staged=kept.group(1) if kept else "")
    assert sent.status_code == 302
    attachment = Complaint.objects.get().attachments.get()
    with attachment.file.open("rb") as fh, Image.open(fh) as filed:
        assert (attachment.original_name, filed.size) == ("foto.png", pixels.size)
        assert filed.convert("RGB").tobytes() == pixels.tobytes()


# --- 3. The filing limits count people and filed reports ---------------------------------------------------


def test_refused_submissions_do_not_count_toward_the_limits(client, catalogue, settings):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "file_per_person_per_hour": 2}
    for i in range(5):  # five refused tries (too short) ...
        assert file(client, body="pendek", idempotency_key=f"bad-{i:020d}").status_code == 400
    codes = [file(client, idempotency_key=f"ok-{i:020d}").status_code for i in range(3)]
    assert codes == [302, 302, 429]  # ... and the person still has the whole allowance


def test_a_shared_address_is_limited_per_person_not_per_address(catalogue, settings):
    """Behind a carrier's NAT: many browsers, one address. Each person has their own budget; the address a
    much larger one."""
    from django.test import Client

    settings.SIKESAL_RATE_LIMITS = {
        **settings.SIKESAL_RATE_LIMITS,
        "file_per_person_per_hour": 2,
        "file_per_ip_per_hour": 5,
    }
    people = [Client() for _ in range(4)]
    codes = []
    for n, person in enumerate(people):
        person.get(reverse("portal:file"))  # each phone has its own browser
        for i in range(3):
            data = {"phone": "", "email": "", "name": "", "idempotency_key": f"p{n}-{i:018d}"}
            codes.append(file(person, **data).status_code)
    assert codes[:6] == [302, 302, 429, 302, 302, 429]  # one person's third: refused, the next person's fine
    assert codes[6:] == [302, 429, 429, 429, 429, 429]  # the address's own (larger) budget: 5 filed in all
    assert Complaint.objects.count() == 5


def test_the_outbox_receives_a_refusal_as_json(client, catalogue):
    response = client.post(
        reverse("portal:file"),
        {**FORM, "body": "pendek", "idempotency_key": "j" * 20},
        HTTP_X_SIKESAL_OUTBOX="1",
    )
    assert response.status_code == 400
    assert list(json.loads(response.content)["errors"]) == ["body"]


# --- 4. Merged reports, the rating comment, the agency's photos, the Ombudsman, the confirmation ----------


def test_a_merged_report_links_to_its_original_unless_the_original_is_rahasia(client, submit, act):
    duplicate = submit()
    act(duplicate, "merge")
    target = duplicate.merged_into
    track = client.get(reverse("portal:track_detail", args=[duplicate.tracking_number])).content.decode()
    link = reverse("portal:track_detail", args=[target.tracking_number])
    assert 'id="merged-into"' in track and f'href="{link}"' in track
    secret = "rahasia-" + "s" * 30
    Complaint.objects.filter(pk=duplicate.pk).update(secret_hash=hash_secret(secret))
    private = client.get(reverse("portal:private", args=[secret])).content.decode()
    assert f'href="{link}"' in private

    Complaint.objects.filter(pk=target.pk).update(is_secret=True)
    Complaint.objects.filter(pk=duplicate.pk).update(version=duplicate.version + 1)  # a fresh page
    for page in (
        client.get(reverse("portal:private", args=[secret])).content.decode(),
        client.get(reverse("portal:track_detail", args=[duplicate.tracking_number])).content.decode(),
    ):
        assert 'id="merged-into"' in page and target.tracking_number not in page


def test_the_confirm_form_says_the_comment_is_public_and_can_keep_it_private(client, in_state):
    c = in_state("followed_up")
    secret = "pelapor-" + "p" * 30
    Complaint.objects.filter(pk=c.pk).update(secret_hash=hash_secret(secret))
    page = client.get(reverse("portal:private", args=[secret]), HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Komentar Anda akan tampil publik tanpa nama" in page and 'name="comment_private"' in page
    c.refresh_from_db()
    client.post(
        reverse("portal:private_action", args=[secret]),
        {
            "action": "confirm",
            "rating": "4",
            "comment": "Cepat, tapi kurang rapi.",
            "comment_private": "1",
            "version": c.version,
        },
    )
    event = c.events.get(action=actions.Action.CONFIRM)
    assert event.visibility == Visibility.REPORTER and event.message == "Cepat, tapi kurang rapi."
    public = client.get(reverse("portal:report_detail", args=[c.tracking_number])).content.decode()
    assert "kurang rapi" not in public


def test_the_agencys_interim_photo_is_not_shown_as_after(client, in_state, act):
    c = in_state("in_progress")
    act(c, "add_followup", files=[jpeg("sebelum.jpg")])
    page = client.get(reverse("portal:report_detail", args=[c.tracking_number])).content.decode()
    assert 'id="during-photos"' in page and 'id="after-photos"' not in page
    act(c, "complete_followup", files=[jpeg("sesudah.jpg", (10, 200, 10))])
    page = client.get(reverse("portal:report_detail", args=[c.tracking_number])).content.decode()
    after = page.split('id="after-photos"')[1].split("</div>")[0]
    assert after.count("<img") == 1


@pytest.mark.django_db(transaction=True)
def test_the_reporter_is_told_of_the_escalation_and_the_ombudsmans_progress(in_state, act, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    c = in_state("followed_up")
    act(c, "dispute")
    run_worker()
    mail.outbox.clear()
    escalation = service.escalate(c, Actor.reporter(c), IDENTITY)
    run_worker()
    to_reporter = [m for m in mail.outbox if "budi@example.com" in m.to]
    assert len(to_reporter) == 1  # the escalation; the file's delivery attempts are not the reporter's news
    with translation.override("id"):
        assert str(actions.spec("escalate_ombudsman").label) in to_reporter[0].subject + to_reporter[0].body
    mail.outbox.clear()
    service.update_state(escalation, Actor.system(), "examining", "Sedang diperiksa.")
    run_worker()
    to_reporter = [m for m in mail.outbox if "budi@example.com" in m.to]
    assert len(to_reporter) == 1
    with translation.override("id"):
        from sikesal.integrations.ombudsman.models import Escalation

        assert str(Escalation.State.EXAMINING.label) in to_reporter[0].body


def test_the_confirmation_opened_in_another_browser_explains_and_points_to_the_track_page(client, catalogue):
    from django.test import Client

    location = file(client)["Location"]
    tracking = Complaint.objects.get().tracking_number
    elsewhere = Client().get(location)
    assert elsewhere.status_code == 404
    html = elsewhere.content.decode()
    assert 'id="error-explanation"' in html
    assert f'href="{reverse("portal:track_detail", args=[tracking])}"' in html
