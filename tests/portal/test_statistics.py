"""Public statistics checked against counts computed independently from the reports made here."""

import csv
import datetime as dt
import io
import re
import statistics as pystats

from django.urls import reverse

from sikesal.complaints.models import Complaint
from sikesal.portal import statistics
from tests.conftest import T0

DAY = dt.timedelta(days=1)


def make(submit, act, other_opd):
    """Reports in chosen states, with chosen times (T0 = Monday 2 Nov 2026, 09:00 WIB)."""
    fast = submit(now=T0, service="jalan-rusak")
    act(fast, "verify", now=T0 + dt.timedelta(hours=2))
    act(fast, "complete_followup", now=T0 + DAY)  # first follow-up after 1 day
    act(fast, "confirm", now=T0 + 2 * DAY, rating=5)
    # verified on Friday 6 Nov: the 4th working day (late); answered Friday 13 Nov: 5th working day (in time)
    slow = submit(now=T0, service="lampu-jalan", area="15.71.01.1001")
    act(slow, "verify", now=T0 + 4 * DAY)
    act(slow, "add_followup", now=T0 + 11 * DAY)
    rahasia = submit(now=T0 + DAY, is_secret=True)
    act(rahasia, "verify", now=T0 + DAY, institution=other_opd.pk)
    unverified = submit(now=T0 + 35 * DAY)  # December
    merged = submit(now=T0)
    act(merged, "merge", now=T0 + DAY)  # creates the original it is merged into
    return fast, slow, rahasia, unverified, merged


def test_numbers_match_the_reports(submit, act, other_opd):
    fast, slow, rahasia, unverified, merged = make(submit, act, other_opd)
    s = statistics.compute(now=T0 + 60 * DAY)
    counted = Complaint.objects.exclude(pk=merged.pk)
    assert s["total"] == counted.count() == 5  # merged duplicate left out, its original and the rahasia one in
    assert {r["key"]: r["n"] for r in s["by_status"]} == {
        "closed_reporter": 1,
        "in_progress": 1,
        "dispositioned": 1,
        "received": 2,
    }
    assert {r["label"]: r["n"] for r in s["by_opd"]} == {"Dinas PUPR": 2, "Disperkim": 1}
    assert {r["label"]: r["n"] for r in s["by_month"]} == {"2026-11": 4, "2026-12": 1}
    assert {r["label"]: r["n"] for r in s["by_kecamatan"]} == {"Jelutung": 4, "Telanaipura": 1}
    expected_first = pystats.median([(fast.first_response_at - fast.submitted_at).total_seconds() / 3600, 11 * 24])
    assert s["median_first_response_hours"] == round(expected_first, 1)
    assert s["median_resolution_days"] == 2.0
    pupr = next(o for o in s["compliance"] if o["label"] == "Dinas PUPR")
    assert (pupr["verified_in_time"], pupr["followup_due"], pupr["followup_in_time"]) == (1, 2, 2)
    assert pupr["verified_share"] == 50 and pupr["followup_share"] == 100
    assert s["satisfaction"]["count"] == 1 and s["satisfaction"]["average"] == 5
    assert [r["n"] for r in s["satisfaction"]["distribution"]] == [0, 0, 0, 0, 1]


def test_period_filter_and_page(client, submit, act, other_opd):
    make(submit, act, other_opd)
    html = client.get(reverse("portal:stats") + "?dari=2026-12&sampai=2026-12").content.decode()
    assert 'id="stat-total">1<' in html
    bad = client.get(reverse("portal:stats") + "?dari=kemarin")
    assert bad.status_code == 200 and 'id="stat-total">5<' in bad.content.decode()
    assert "<svg" in html and 'id="stat-compliance"' in html


def test_csv_download(client, submit, act, other_opd):
    make(submit, act, other_opd)
    response = client.get(reverse("portal:stats_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "key", "label", "value"]
    assert ["summary", "total", "total", "5"] in rows
    assert ["by_opd", "Dinas PUPR", "Dinas PUPR", "2"] in rows


def test_public_statistics_are_cached_and_say_when_computed(client, submit, act, settings):
    import re

    def total_and_time(html):
        total = re.search(r'id="stat-total">(\d+)<', html).group(1)
        computed = re.search(r'id="stat-computed">([^<]+)<', html).group(1)
        return int(total), computed

    settings.SIKESAL_STATS_CACHE_SECONDS = 300
    total, computed = total_and_time(client.get("/statistik/").content.decode())
    assert "WIB" in computed
    act(submit(), "verify")
    assert total_and_time(client.get("/statistik/").content.decode()) == (total, computed)  # until it expires
    settings.SIKESAL_STATS_CACHE_SECONDS = 0
    assert total_and_time(client.get("/statistik/").content.decode())[0] == total + 1


def test_the_worker_refreshes_cached_statistics_ahead_of_visitors(client, submit, act, settings):
    from sikesal.portal.tasks import refresh_statistics

    settings.SIKESAL_STATS_CACHE_SECONDS = 300
    before = int(re.search(r'id="stat-total">(\d+)<', client.get("/statistik/").content.decode()).group(1))
    act(submit(), "verify")
    refresh_statistics.call()  # what the periodic job runs in the worker
    after = int(re.search(r'id="stat-total">(\d+)<', client.get("/statistik/").content.decode()).group(1))
    assert after == before + 1
