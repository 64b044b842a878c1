"""Routing suggestions in the product: cold start, learning from dispositions, the verify form, the hint."""

import pytest

from sikesal.catalogue.models import Institution, Service
from sikesal.complaints.models import Event
from sikesal.routing import service
from sikesal.routing.models import ModelVersion, Suggestion

LAMP = ("Lampu jalan mati", "Lampu PJU di depan masjid padam sudah seminggu, jalan gelap sekali kalau malam.")
RUBBISH = ("Sampah di pasar", "Sampah menumpuk di belakang pasar tidak diangkut, bau busuk sampai ke rumah warga.")


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    service._cache.update(version=None, model=None)


def test_cold_start_from_the_catalogue_ranks_the_obvious_service_first(catalogue):
    result = service.suggest(*LAMP)
    lamp = Service.objects.get(code="lampu-jalan")
    assert result["services"][0]["code"] == "lampu-jalan"
    assert result["opds"][0]["id"] == lamp.default_institution_id
    assert len(result["opds"]) == 3 and result["opds"][0]["confidence"] > result["opds"][1]["confidence"]
    assert {"lampu", "PJU", "gelap", "padam"} & set(result["words"])  # the explanation names the words
    version = ModelVersion.objects.get(active=True)
    assert version.kind == "cold_start" and result["model"] == version.pk


def test_each_new_report_gets_a_recorded_suggestion(submit):
    complaint = submit(title=LAMP[0], body=LAMP[1], service="lampu-jalan")
    service.on_event(Event.objects.get(complaint=complaint, action="submit"))
    service.on_event(Event.objects.get(complaint=complaint, action="submit"))  # a handler may run twice
    suggestion = Suggestion.objects.get(complaint=complaint)
    assert suggestion.top_institution_id == Service.objects.get(code="lampu-jalan").default_institution_id
    assert suggestion.model.active and suggestion.data["services"][0]["code"] == "lampu-jalan"


def test_it_learns_from_the_admins_dispositions(submit, act, other_opd):
    dlh = Service.objects.get(code="sampah").default_institution_id
    assert service.suggest(*RUBBISH)["opds"][0]["id"] == dlh
    # In this city rubbish behind the markets is handled by another OPD: the admins keep routing it there.
    for i in range(12):
        c = submit(title=f"Sampah pasar menumpuk {i}", body=RUBBISH[1] + f" Blok {i}.", service="sampah")
        act(c, "verify", institution=other_opd.pk)
    version = service.train_and_activate()
    assert version.kind == "learned" and version.examples == 12
    assert ModelVersion.objects.filter(active=True).count() == 1
    assert service.suggest(*RUBBISH)["opds"][0]["id"] == other_opd.pk
    # and the live accuracy compares what was suggested with what the admins chose
    c = submit(title="Sampah pasar lagi", body=RUBBISH[1], service="sampah")
    service.record(c)
    act(c, "verify", institution=other_opd.pk)
    assert service.live_accuracy() == {"n": 1, "accuracy": 1.0}


def test_verify_form_shows_the_suggestion_and_preselects_it(client, users, submit):
    complaint = submit(title=LAMP[0], body=LAMP[1], service="")
    service.record(complaint)
    client.force_login(users["admin"])
    page = client.get(f"/kantor/laporan/{complaint.tracking_number}/").content.decode()
    top = Institution.objects.get(pk=Suggestion.objects.get(complaint=complaint).top_institution_id)
    assert 'id="routing-suggestion"' in page and top.short_name in page
    assert f'<option value="{top.pk}" selected>' in page


def test_service_hint_for_the_citizen(client, catalogue):
    data = client.get("/lapor/saran-layanan.json", {"teks": " ".join(LAMP)}).json()
    assert data["services"][0]["code"] == "lampu-jalan"
    assert client.get("/lapor/saran-layanan.json", {"teks": "halo"}).json() == {"services": []}
    assert not Suggestion.objects.exists()  # a hint stores nothing


def test_a_model_stored_by_an_older_release_is_retrained_not_fatal(catalogue):
    import io

    import joblib

    buf = io.BytesIO()
    joblib.dump({"format": 1, "classes": ["x"]}, buf)  # what a release before catalogue concepts stored
    old = ModelVersion.objects.create(kind="cold_start", classes=1, blob=buf.getvalue(), active=True)
    result = service.suggest(*LAMP)
    assert result["services"][0]["code"] == "lampu-jalan"
    current = ModelVersion.objects.get(active=True)
    assert current.pk != old.pk and result["model"] == current.pk
    assert ("lampu", "jalan") in service.active_model()[1].concepts.phrases  # trained with the live catalogue
