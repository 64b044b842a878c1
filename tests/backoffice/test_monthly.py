"""The monthly PDF per OPD: its numbers and who may download it."""

import datetime as dt

from django.urls import reverse

from sikesal.backoffice import monthly
from tests.conftest import T0


def test_monthly_figures(in_state, act, submit, opd, other_opd):
    answered = submit(now=T0)
    act(answered, "verify", now=T0)  # Monday 2 Nov 2026
    act(answered, "add_followup", now=T0 + dt.timedelta(days=2))  # within 5 working days
    late = submit(now=T0)
    act(late, "verify", now=T0)
    act(late, "add_followup", now=T0 + dt.timedelta(days=14))  # too late
    closed = submit(now=T0)
    act(closed, "verify", now=T0)
    act(closed, "complete_followup", now=T0 + dt.timedelta(days=1))
    act(closed, "confirm", now=T0 + dt.timedelta(days=2))
    elsewhere = submit(now=T0)
    act(elsewhere, "verify", now=T0, institution=other_opd.pk)
    fig = monthly.figures(opd, 2026, 11, now=T0 + dt.timedelta(days=20))
    assert fig["received"] == 3
    assert fig["first_followup_in_time"] == 2  # answered and closed
    assert fig["resolved"] == 1 and fig["still_open"] == 2
    assert monthly.figures(opd, 2026, 10)["received"] == 0
    assert monthly.render_pdf(fig).startswith(b"%PDF")


def test_monthly_pdf_access(client, users, in_state, opd, other_opd):
    in_state("dispositioned")
    url = reverse("backoffice:monthly_pdf", args=[opd.pk, 2026, 11])
    client.force_login(users["liaison"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client.get(reverse("backoffice:monthly_pdf", args=[other_opd.pk, 2026, 11])).status_code == 404
    assert client.get(reverse("backoffice:monthly_pdf", args=[opd.pk, 2026, 13])).status_code == 404
    client.force_login(users["admin"])
    picked = client.get(reverse("backoffice:monthly_pick") + f"?opd={opd.pk}&bulan=2026-11")
    assert picked["Location"] == url
