"""What the second outside attack found (issue #28 item 5): each finding as the attacker saw it, on SQLite
and PostgreSQL."""

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from sikesal.accounts.models import ApiKey, User
from sikesal.accounts.roles import Role
from sikesal.complaints import intake, lifecycle
from sikesal.complaints.models import Complaint
from sikesal.core.ratelimit import allow
from sikesal.integrations.notify.handlers import notify_reporter
from sikesal.integrations.notify.models import Notification
from tests.api.test_rest_v1 import REPORT
from tests.portal.test_pages import FORM

# --- a. The merge message never names a rahasia original ---------------------------------------------


@pytest.mark.parametrize("rahasia", [False, True])
def test_the_merge_message_names_the_original_only_when_it_is_not_rahasia(submit, act, actors, rahasia):
    original = submit(is_secret=rahasia, reporter={"name": "T", "email": "t@example.id"})
    duplicate = submit(title="Jalan berlubang juga", reporter={"name": "D", "email": "d@example.id"})
    act(original, "verify")
    mail.outbox.clear()
    notify_reporter(lifecycle.transition(duplicate, "merge", actors["admin"], target=original).event)
    (message,) = [m for m in mail.outbox if m.to == ["d@example.id"]]
    assert (original.tracking_number in message.body) is not rahasia
    assert duplicate.tracking_number in message.body  # they still learn what happened to their own report


# --- b. Every channel counts against the same person and the same contact ----------------------------


@pytest.fixture
def citizen(client, catalogue):
    user = User.objects.create(username="warga:budi@example.id", role=Role.CITIZEN, email="budi@example.id")
    client.force_login(user)  # as after a one-time code to budi@example.id
    return user


def test_a_logged_in_citizen_cannot_file_past_the_web_forms_limits_through_rest(client, citizen, settings):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "file_per_ip_per_hour": 3}
    codes = [
        client.post("/api/v1/reports", {**REPORT, "reporter": {"name": "Budi"}}, content_type="application/json")
        for _ in range(5)
    ]
    assert [r.status_code for r in codes] == [201, 201, 201, 429, 429]
    # ... and the web form from the same address is out of allowance too: one budget for both doors
    assert client.post(reverse("portal:file"), {**FORM, "idempotency_key": "w" * 20}).status_code == 429


def test_the_same_contact_has_one_daily_budget_on_the_web_form_and_rest(client, citizen, settings):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "file_per_contact_per_day": 2}
    victim = {"name": "Korban", "email": "Korban@Example.id"}
    web = client.post(reverse("portal:file"), {**FORM, "email": "korban@example.id", "idempotency_key": "v" * 20})
    assert web.status_code == 302
    rest = [
        client.post("/api/v1/reports", {**REPORT, "reporter": victim}, content_type="application/json").status_code
        for _ in range(2)
    ]
    assert rest == [201, 429]


def test_a_contact_that_never_confirmed_gets_messages_about_one_report_a_day(submit, act):
    victim = {"name": "X", "email": "korban@example.id"}
    first, second, third = (submit(reporter=victim, title=f"Laporan ke-{i} jalan rusak") for i in range(3))
    for c in (first, second, third):
        notify_reporter(c.events.get(action="submit"))
    notify_reporter(act(first, "verify").event)  # the first report's own updates still reach it
    to_victim = Notification.objects.filter(to="korban@example.id").order_by("pk")
    assert [(n.event.complaint_id, n.state) for n in to_victim] == [
        (first.pk, "sent"),
        (second.pk, "held"),
        (third.pk, "held"),
        (first.pk, "sent"),
    ]
    assert all(n.last_error for n in to_victim if n.state == "held")  # the reason, for the admin
    assert len([m for m in mail.outbox if m.to == ["korban@example.id"]]) == 2


def test_a_contact_confirmed_by_a_one_time_code_gets_every_message(submit):
    User.objects.create(username="warga:budi@example.id", role=Role.CITIZEN, email="budi@example.id")
    reports = [submit(reporter={"name": "B", "email": "Budi@example.id"}, title=f"Lapor {i} jalan") for i in range(3)]
    for c in reports:
        notify_reporter(c.events.get(action="submit"))
    assert set(Notification.objects.filter(to__iexact="budi@example.id").values_list("state", flat=True)) == {"sent"}


# --- c. A replayed web idempotency key never hands out another session's private link ----------------


def test_a_web_key_replayed_from_another_session_gets_no_private_link(client, catalogue):
    from django.test import Client

    client.get(reverse("portal:file"))
    first = client.post(reverse("portal:file"), {**FORM, "idempotency_key": "k" * 20})
    assert first.status_code == 302
    secret = client.session[f"secret:{Complaint.objects.get().tracking_number}"]
    same = client.post(reverse("portal:file"), {**FORM, "idempotency_key": "k" * 20})  # a lost answer, again
    assert same["Location"] == first["Location"] and Complaint.objects.count() == 1
    thief = Client()
    thief.get(reverse("portal:file"))
    other = {**FORM, "title": "Isi lain sama sekali", "idempotency_key": "k" * 20}
    answer = thief.post(reverse("portal:file"), other, follow=True)
    assert secret not in answer.content.decode()
    assert all(secret not in str(v) for v in thief.session.values())


def test_an_idempotency_key_reused_with_other_content_is_refused(client, catalogue):
    key = ApiKey(name="Kios", scopes=["reports:file"])
    key.set_key("kios-replay")
    key.save()
    headers = {"HTTP_X_API_KEY": "kios-replay", "HTTP_IDEMPOTENCY_KEY": "sama-12345678"}
    first = client.post("/api/v1/reports", REPORT, content_type="application/json", **headers)
    again = client.post("/api/v1/reports", REPORT, content_type="application/json", **headers)
    other = client.post("/api/v1/reports", {**REPORT, "title": "Lain"}, content_type="application/json", **headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["private_url"] == first.json()["private_url"]
    assert other.status_code == 409 and "private_url" not in other.content.decode()


# --- d. Lone surrogates, noncharacters and bidi overrides ----------------------------------------------


def test_intake_drops_noncharacters_and_bidi_overrides():
    text = "Jalan\ufffe rusak\uffff di \u202egnalaB\u202c\u2066 Telanai\u2069\ufdd0"
    assert intake.without_controls(text) == "Jalan rusak di gnalaB Telanai"
    assert intake.without_controls({"a": ["\u202a\u202b\u202d x"]}) == {"a": [" x"]}


def test_rest_intake_drops_noncharacters_and_bidi_overrides(client, catalogue):
    key = ApiKey(name="Kios", scopes=["reports:file"])
    key.set_key("kios-bidi")
    key.save()
    title = "Pipa\uffff bocor di \u202eJl. Gatot Subroto\ufffe"
    response = client.post(
        "/api/v1/reports", {**REPORT, "title": title}, content_type="application/json", HTTP_X_API_KEY="kios-bidi"
    )
    assert response.status_code == 201, response.content
    assert Complaint.objects.get().title == "Pipa bocor di Jl. Gatot Subroto"


LONE = '{"title": "Jalan \\ud800 rusak", "tracking": "\\ud800", "message": "\\ud800"}'


def test_a_lone_surrogate_is_a_structured_400_on_every_json_endpoint(client, in_state, actors, users):
    key = ApiKey(name="Kios", scopes=["reports:file"])
    key.set_key("kios-surrogate")
    key.save()
    rest = client.post("/api/v1/reports", LONE, content_type="application/json", HTTP_X_API_KEY="kios-surrogate")
    assert rest.status_code == 400 and rest.json()["code"] == "unreadable_body"
    complaint = in_state("dispositioned")
    client.force_login(users["liaison"])
    url = f"/api/v1/reports/{complaint.tracking_number}/actions/add_followup"
    action = client.post(url, '{"message": "Sudah \\ud800"}', content_type="application/json")
    assert action.status_code == 400 and action.json()["code"] == "unreadable_body"
    push = client.post("/push/ikuti/", LONE, content_type="application/json")
    assert push.status_code == 400 and "detail" in push.json()


# --- e. Extreme dates on Open311 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/open311/v2/servicerequestupdates.json?start_date=0001-01-01T00:00:00%2B07:00",
        "/open311/v2/requests.xml?end_date=9999-12-31T23:59:59-12:00",
        "/open311/v2/requests.json?start_date=0001-01-01T00:00:00%2B07:00&end_date=0001-02-01T00:00:00%2B07:00",
    ],
)
def test_extreme_open311_dates_are_a_structured_400(client, catalogue, url):
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code == 400
    assert "W3C" in response.content.decode()


# --- f. A key's limit of 0 allows nothing; a limit setting of 0 stops the start ------------------------


def test_a_rate_limit_of_zero_allows_nothing(db):
    assert not allow("api-key", 1, 0, 60)


def test_an_api_key_with_a_rate_limit_of_zero_is_refused(client, catalogue):
    key = ApiKey(name="Dimatikan", scopes=["reports:file"], rate_limit_per_minute=0)
    key.set_key("kunci-nol")
    key.save()
    response = client.post("/api/v1/reports", REPORT, content_type="application/json", HTTP_X_API_KEY="kunci-nol")
    assert response.status_code == 429


def test_a_limit_setting_of_zero_is_refused_at_start(monkeypatch):
    import importlib

    import sikesal.settings as project_settings

    monkeypatch.setenv("SIKESAL_RATE_FILE_PER_IP", "0")
    with pytest.raises(ImproperlyConfigured, match="SIKESAL_RATE_LIMITS"):
        importlib.reload(project_settings)
    monkeypatch.delenv("SIKESAL_RATE_FILE_PER_IP")
    importlib.reload(project_settings)
