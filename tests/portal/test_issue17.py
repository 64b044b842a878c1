"""Issue 17: what citizens and officers meet, through the Django test client (the browser checks are in tests/browser)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_numbers_in_markup_are_not_localised(client, users, submit):
    """Indonesian writes decimal commas; markup, scripts and coordinates must not."""
    html = client.get(reverse("portal:file")).content.decode()
    assert 'data-south="-1.7"' in html and 'data-east="103.72"' in html
    complaint = submit()
    client.force_login(users["admin"])
    html = client.get(reverse("backoffice:report", args=[complaint.tracking_number])).content.decode()
    assert "(-1.610100, 103.613100)" in html
