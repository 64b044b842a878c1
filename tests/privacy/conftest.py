"""A reporter, Budi, logged in to his account by one-time code (the real log-in), and the DPO's client."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse


def run_worker():
    call_command("worker", batch=True, no_scheduler=True, interval=0)


def log_in_by_code(client, contact):
    client.post(reverse("portal:login"), {"contact": contact})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    response = client.post(reverse("portal:login_code"), {"code": code})
    assert response.status_code == 302, response.content
    return client


@pytest.fixture
def budi(submit, client):
    """Budi's two reports (and Sari's one), and Budi's browser, logged in by a code sent to his e-mail."""
    mine = [submit(), submit(title="Lampu jalan mati di Jl. Sultan Agung", service="lampu-jalan")]
    theirs = submit(reporter={"name": "Sari Dewi", "email": "sari@example.com", "phone": "081298765432"})
    log_in_by_code(client, "budi@example.com")
    return {"client": client, "mine": mine, "theirs": theirs}


@pytest.fixture
def office(users):
    """The DPO's browser (and a way to open the back office as anyone else)."""

    def _as(name="dpo"):
        staff = Client()
        staff.force_login(users[name])
        return staff

    return _as
