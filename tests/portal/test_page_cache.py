"""The public pages of a report are kept rendered (portal/page_cache.py): a change shows at once, every
visitor gets their own CSRF token, and each language its own page."""

import re

from django.test import Client

from sikesal.integrations.lapor.twins import link
from sikesal.portal import page_cache


def token_in(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_change_shows_at_once_on_the_cached_pages(client, in_state, act):
    complaint = in_state("dispositioned")
    for url in (f"/lacak/{complaint.tracking_number}/", f"/laporan/{complaint.tracking_number}/"):
        assert "belum ditindaklanjuti" in client.get(url).content.decode()
    assert len(page_cache._pages) == 2  # both kept
    act(complaint, "start")
    for url in (f"/lacak/{complaint.tracking_number}/", f"/laporan/{complaint.tracking_number}/"):
        html = client.get(url).content.decode()
        assert "Sedang diproses" in html and "belum ditindaklanjuti" not in html
    link(complaint, "9911", "LAP-4242", "local")  # linked beside the door: no version change
    assert "LAP-4242" in client.get(f"/lacak/{complaint.tracking_number}/").content.decode()


def test_every_visitor_gets_their_own_csrf_token_and_the_language_switch_works(in_state):
    complaint = in_state("dispositioned")
    url = f"/lacak/{complaint.tracking_number}/"
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    a, b = first.get(url), second.get(url)  # the second is served from the cache
    assert page_cache.CSRF_MARK not in b.content.decode()
    assert token_in(a.content.decode()) != token_in(b.content.decode())
    switched = second.post(
        "/i18n/setlang/", {"language": "en", "next": url, "csrfmiddlewaretoken": token_in(b.content.decode())}
    )
    assert switched.status_code == 302
    english = second.get(url).content.decode()
    assert 'lang="en"' in english and "Report status" in english
    assert 'lang="id"' in first.get(url).content.decode()  # the Indonesian page is still the one for others


def test_pages_with_a_query_or_of_unknown_reports_are_not_kept(client, in_state):
    complaint = in_state("dispositioned")
    assert client.get(f"/lacak/{complaint.tracking_number}/?x=1").status_code == 200
    assert client.get("/lacak/TIDAK-ADA-1/").status_code == 404
    assert len(page_cache._pages) == 0


def test_a_confidential_report_stays_status_only_when_cached(client, submit, act):
    complaint = submit(is_secret=True)
    act(complaint, "verify")
    for _ in range(2):
        html = client.get(f"/lacak/{complaint.tracking_number}/").content.decode()
        assert complaint.title not in html
