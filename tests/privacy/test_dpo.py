"""The DPO's tools: the breach register and its drafted notices with the 3 x 24 hour clock, the audit of
reveals and exports, the records of processing from the code's data classes; and the privacy notice at
every point of filing."""

import pytest
from django.urls import reverse
from django.utils import translation

from sikesal.backoffice.models import AuditEntry
from sikesal.privacy import classes
from sikesal.privacy.models import Breach
from tests.conftest import T0


def record_breach(dpo, **overrides):
    form = {
        "found_at": "2026-11-02T09:00",  # WIB, as the form's datetime-local gives it
        "what": "Berkas ekspor laporan terkirim ke alamat e-mail yang salah.",
        "data_classes": ["identity", "attachments"],
        "affected": "37",
        "measures": "Penerima diminta menghapus berkas; ekspor kini hanya untuk admin.",
    }
    form.update(overrides)
    return dpo.post(reverse("privacy_office:breaches"), form)


def test_a_breach_is_registered_its_notices_are_drafted_and_its_clock_runs(office, clock):
    dpo = office()
    assert record_breach(dpo, data_classes=[]).status_code == 400  # the data affected must be named
    for when in ("9999-12-31T23:59", "0001-01-01T00:00", "kemarin"):  # a due time must exist
        assert record_breach(dpo, found_at=when).status_code == 400, when
    response = record_breach(dpo)
    breach = Breach.objects.get()
    assert response["Location"] == reverse("privacy_office:breach_letters", args=[breach.pk])
    assert breach.found_at == T0 and breach.due_at == T0 + (breach.due_at - breach.found_at)
    assert (breach.due_at - breach.found_at).total_seconds() == 72 * 3600
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.BREACH_RECORD, user__username="dpo").exists()

    with translation.override("en"):  # the DPO reads the page in English; the letters stay Indonesian
        letters = dpo.get(response["Location"]).content.decode()
    with translation.override("id"):
        labels = [str(classes.BY_KEY[key].label) for key in ("identity", "attachments")]
    for text in ("Berkas ekspor laporan terkirim", "37 orang", "Pasal 46", "Penerima diminta", *labels):
        assert text in letters, text
    assert 'id="letter-subjects" lang="id"' in letters and 'id="letter-regulator" lang="id"' in letters

    register = reverse("privacy_office:breaches")
    assert 'class="late"' not in dpo.get(register).content.decode()
    clock.shift(72 * 3600 + 60)
    dpo = office()
    assert 'class="late"' in dpo.get(register).content.decode()  # not notified within 3 x 24 hours: red
    dpo.post(reverse("privacy_office:breach_notified", args=[breach.pk]), {"to": ["subjects", "regulator"]})
    breach.refresh_from_db()
    assert breach.subjects_notified_at and breach.regulator_notified_at and breach.notified_by.username == "dpo"
    assert 'class="late"' not in dpo.get(register).content.decode()
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.BREACH_NOTICE).exists()


def test_the_dpo_reads_every_reveal_and_export_but_no_report(office, submit):
    complaint = submit(is_anonymous=True)
    admin = office("admin")
    admin.post(
        reverse("backoffice:reveal", args=[complaint.tracking_number]), {"reason": "Pelapor diduga ASN terkait."}
    )
    admin.get(reverse("backoffice:export"))
    dpo = office()
    page = dpo.get(reverse("privacy_office:audit")).content.decode()
    assert 'data-kind="reveal_anonymous"' in page and "Pelapor diduga ASN terkait." in page
    assert 'data-kind="export"' in page
    assert dpo.get(reverse("backoffice:audit_csv")).status_code == 200
    # the DPO's back office is the privacy office; a report page is not theirs
    assert dpo.get(reverse("backoffice:inbox"))["Location"] == reverse("privacy_office:queue")
    assert dpo.get(reverse("backoffice:report", args=[complaint.tracking_number])).status_code == 404
    assert "Budi" not in page


def test_the_records_of_processing_come_from_the_code(office):
    page = office().get(reverse("privacy_office:records")).content.decode()
    for data_class in classes.DATA_CLASSES:
        assert f'data-class="{data_class.key}"' in page
        assert str(data_class.retention_days) in page
    assert page.count("data-class=") == len(classes.DATA_CLASSES)


@pytest.mark.parametrize("lang", ["id"])
def test_the_privacy_notice_is_at_every_point_of_filing(client, office, catalogue, lang):
    form = client.get(reverse("portal:file")).content.decode()
    assert 'id="privacy-notice"' in form and 'href="/privasi/"' in form and "Data pribadi Anda" in form
    desk = office("desk").get(reverse("backoffice:desk")).content.decode()
    assert 'id="privacy-notice"' in desk and "Bacakan" in desk  # the officer reads it out
    notice = client.get(reverse("privacy:notice")).content.decode()
    assert "Pemberitahuan privasi" in notice and "3 × 24 jam" in notice
