"""Issue 30 item 1: every page and message shows the deadline that applies to its reader, labelled as whose it
is, read from the table of deadline rules (complaints/deadlines.py)."""

import json
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation

from sikesal.complaints import actions, submission
from sikesal.complaints.deadlines import DEADLINES, OPD, REPORTER, WORKING_DAYS, DeadlineSpec, started
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import Status
from sikesal.portal.templatetags.portal_tags import wib
from tests.browser_steps import block_outside
from tests.conftest import report_data
from tests.notify.test_notify import run_worker
from tests.portal.test_pages import file


def rows(html):
    """The deadline rows of a page, in order: [(field, label, date as shown)]."""
    found = re.findall(r'<dt data-deadline="(\w+)">([^<]*)</dt><dd data-deadline="\1">([^<]*)</dd>', html)
    return [(field, label.replace("&#x27;", "'"), when) for field, label, when in found]


def filed_with_private_link(client):
    confirmation = client.get(file(client)["Location"])
    secret_url = re.search(r'id="private-link" href="([^"]+)"', confirmation.content.decode()).group(1)
    return Complaint.objects.get(), secret_url, confirmation.content.decode()


@pytest.mark.django_db(transaction=True)
def test_after_request_info_the_private_page_gives_the_reporter_the_date_their_messages_give(
    client, catalogue, act, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    c, secret_url, _ = filed_with_private_link(client)
    run_worker()
    mail.outbox.clear()
    act(c, "request_info")
    run_worker()
    c.refresh_from_db()
    with translation.override("id"):
        asked = formats.date_format(timezone.localtime(c.info_due_at), "j F Y")
    sms = json.loads((tmp_path / "outbox" / "sms.jsonl").read_text().splitlines()[-1])["message"]
    assert f"paling lambat {asked}" in mail.outbox[-1].body and f"paling lambat {asked}" in sms

    page = rows(client.get(secret_url).content.decode())
    # The reporter's own deadline, the instant the messages name, comes first and labelled as theirs; the
    # agency's follow, labelled as the OPD's.
    assert page[0] == ("info_due_at", "Tenggat Anda (informasi dari pelapor)", wib(c.info_due_at))
    assert {label for _, label, _ in page[1:]} <= {"Tenggat OPD (target layanan)", "Tenggat OPD (penyelesaian akhir)"}
    assert ("final_due_at", "Tenggat OPD (penyelesaian akhir)", wib(c.final_due_at)) in page

    # Whoever opens /lacak/ reads the same dates, the reporter's labelled as the reporter's, never as "yours".
    public = rows(client.get(reverse("portal:track_detail", args=[c.tracking_number])).content.decode())
    assert ("info_due_at", "Tenggat pelapor (informasi dari pelapor)", wib(c.info_due_at)) in public
    assert {field for field, _, _ in public} == {field for field, _, _ in page}


def test_the_back_office_labels_every_deadline_by_its_owner_its_readers_first(client, users, in_state, act):
    c = in_state("received")
    client.force_login(users["admin"])
    page = rows(client.get(reverse("backoffice:report", args=[c.tracking_number])).content.decode())
    assert page[0] == ("verify_due_at", "Tenggat admin kota (verifikasi)", wib(c.verify_due_at))
    assert ("final_due_at", "Tenggat OPD (penyelesaian akhir)", wib(c.final_due_at)) in page
    assert ("target_due_at", "Tenggat OPD (target layanan)", wib(c.target_due_at)) in page

    act(c, "request_info")
    page = rows(client.get(reverse("backoffice:report", args=[c.tracking_number])).content.decode())
    assert ("info_due_at", "Tenggat pelapor (informasi dari pelapor)", wib(c.info_due_at)) in page
    assert "verify_due_at" not in {field for field, _, _ in page}  # no longer binds

    act(c, "supply_info")
    act(c, "verify")
    client.force_login(users["liaison"])
    page = rows(client.get(reverse("backoffice:report", args=[c.tracking_number])).content.decode())
    assert ("followup_due_at", "Tenggat OPD (tindak lanjut pertama)", wib(c.followup_due_at)) in page
    assert [when for _, _, when in page] == sorted_dates(c, [field for field, _, _ in page])  # soonest first


def sorted_dates(c, fields):
    return [wib(due) for due in sorted(getattr(c, field) for field in fields)]


def test_a_new_rule_in_the_table_is_shown_with_its_label_and_owner(client, users, submit, monkeypatch, settings):
    settings.SIKESAL_DEADLINES = {**settings.SIKESAL_DEADLINES, "scratch_days": 2}
    # No column is free without a migration: borrow one that only complete_followup sets.
    rule = DeadlineSpec(
        "followup_completed_at",
        "kunjungan lapangan",
        OPD,
        WORKING_DAYS,
        "scratch_days",
        states=frozenset({Status.RECEIVED}),
        started_by=frozenset({"submit"}),
    )
    monkeypatch.setitem(DEADLINES, rule.field, rule)
    c = submit()
    client.force_login(users["admin"])
    page = rows(client.get(reverse("backoffice:report", args=[c.tracking_number])).content.decode())
    assert ("followup_completed_at", "Tenggat OPD (kunjungan lapangan)", wib(c.followup_completed_at)) in page


def test_the_confirmation_shows_the_deadlines_in_the_order_they_fall(client, catalogue):
    c, _, html = filed_with_private_link(client)
    shown = rows(html)
    assert {field for field, _, _ in shown} == {"verify_due_at", "target_due_at", "final_due_at"}
    assert [when for _, _, when in shown] == sorted_dates(c, [field for field, _, _ in shown])
    assert ("verify_due_at", "Tenggat admin kota (verifikasi)", wib(c.verify_due_at)) in shown


def test_every_message_that_names_a_date_asks_for_a_deadline_its_action_starts():
    for action, spec in actions.ACTIONS.items():
        if "%(due)s" in str(spec.asks_reporter):
            assert [rule.owner for rule in started(action, REPORTER)] == [REPORTER], action


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_reporter_reads_their_own_deadline_first(page, live_server, catalogue, act, artifacts):
    result = submission.submit(Actor.system("test"), report_data(), (), now=timezone.now())
    act(result.complaint, "request_info")
    block_outside(page)
    page.goto(live_server.url + reverse("portal:private", args=[result.secret]))
    first = page.locator("dl dt[data-deadline]").first
    assert first.inner_text() == "Tenggat Anda (informasi dari pelapor)" and first.is_visible()
    assert page.locator("dl dd[data-deadline]").first.inner_text() == wib(result.complaint.info_due_at)
    page.screenshot(path=f"{artifacts}/private-own-deadline.png", full_page=True)
