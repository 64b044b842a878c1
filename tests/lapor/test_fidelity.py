"""Fidelity to the only public client (docs/lapor.md, "Fidelity"): each of its values is a setting, and
SIKESAL's create goes through the simulator with the public client's values as well as with its own."""

import pytest

from sikesal.integrations.lapor import mapping, masters
from sikesal.integrations.lapor.models import Outbox
from tests.lapor.test_day_one import copies_of
from tests.lapor.test_sync import drain


@pytest.fixture
def synced(sim, catalogue):
    masters.sync_masters()
    return sim


def test_the_public_clients_values_are_settings_and_its_create_goes_through(synced, submit, settings):
    settings.LAPOR_CLASSIFICATION_ID = "6"
    settings.LAPOR_IS_INBOX = True
    settings.LAPOR_IS_DISPOSISI_SLIDER = True
    complaint = submit()
    body = mapping.to_remote_create(complaint, docs=[], disposition_id=1571, location_id=None, category_id=None)
    assert (body["classification_id"], body["is_inbox"], body["is_disposisi_slider"]) == (6, True, True)
    drain()
    assert Outbox.objects.get(complaint=complaint, kind="create").status == "done"
    assert copies_of(synced, complaint)[0]["classification_id"] == 6


def test_our_defaults_classify_by_type_and_leave_the_sliders_off(submit):
    body = mapping.to_remote_create(submit(), docs=[], disposition_id=1571, location_id=None, category_id=None)
    assert (body["classification_id"], body["is_inbox"], body["is_disposisi_slider"]) == (1, False, False)


def test_a_follow_up_may_go_under_its_own_user_id(settings):
    settings.LAPOR_USER_ID = "5218120"
    fields = {
        "remote_id": "1",
        "from_id": "1571",
        "to_id": None,
        "content": "x",
        "is_secret": False,
        "template_code": "t",
    }
    assert mapping.to_remote_followup(**fields)["user_id"] == "5218120"
    settings.LAPOR_FOLLOWUP_USER_ID = "777"
    assert mapping.to_remote_followup(**fields)["user_id"] == "777"


@pytest.mark.parametrize(
    "answer",
    [
        {"complaint_id": 41},
        {"data": {"complaint_id": "41"}},
        {"data": {"results": {"complaint": {"id": 41}}}},  # the public client's older reading
        {"results": {"complaint": {"id": 41}}},
        {"results": {"complaint_id": 41}},
    ],
)
def test_every_create_answer_the_public_client_reads_gives_the_id(answer):
    assert mapping.created_id(answer) == "41"


def test_a_create_answer_without_an_id_is_no_success():
    assert mapping.created_id({"success": True, "results": {"complaint": {}}}) is None
