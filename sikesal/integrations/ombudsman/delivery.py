"""Delivering the escalation file: e-mail to the Ombudsman office by default, or an HTTPS webhook.

Each attempt is an event on the report's timeline; failures are retried from the worker with
backoff and, after the last try, left visibly failed for an operator.
"""

import base64
import datetime as dt
import json

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from sikesal.complaints import lifecycle
from sikesal.complaints.actions import Action
from sikesal.complaints.policy import Actor
from sikesal.integrations.ombudsman.models import Escalation

MAX_ATTEMPTS = 6


class DeliveryError(Exception):
    pass


def send_email(escalation):
    c = escalation.complaint
    message = EmailMessage(
        subject=f"[SIKESAL] Laporan {c.tracking_number} diteruskan kepada Ombudsman",
        body=(
            f"Laporan {c.tracking_number} dari SIKESAL Kota Jambi diteruskan atas pilihan pelapor.\n"
            "Berkas lengkap terlampir (PDF dan JSON).\n"
        ),
        to=[settings.SIKESAL_OMBUDSMAN_EMAIL],
    )
    message.attach(f"{c.tracking_number}.pdf", bytes(escalation.file_pdf), "application/pdf")
    message.attach(
        f"{c.tracking_number}.json", json.dumps(escalation.file_json, ensure_ascii=False, indent=2), "application/json"
    )
    message.send()


def send_webhook(escalation):
    payload = {
        "file": escalation.file_json,
        "pdf_base64": base64.b64encode(bytes(escalation.file_pdf)).decode(),
    }
    headers = {"Idempotency-Key": f"sikesal-escalation-{escalation.pk}"}
    if settings.SIKESAL_OMBUDSMAN_WEBHOOK_TOKEN:
        headers["Authorization"] = f"Bearer {settings.SIKESAL_OMBUDSMAN_WEBHOOK_TOKEN}"
    try:
        response = httpx.post(
            settings.SIKESAL_OMBUDSMAN_WEBHOOK_URL,
            json=payload,
            headers=headers,
            timeout=httpx.Timeout(20.0, connect=5.0),
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook unreachable: {exc}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"webhook answered {response.status_code}")


def adapter():
    return send_webhook if settings.SIKESAL_OMBUDSMAN_WEBHOOK_URL else send_email


@task()
def deliver(escalation_id):
    with transaction.atomic():
        escalation = Escalation.objects.select_for_update().select_related("complaint").get(pk=escalation_id)
        if escalation.state != Escalation.State.PREPARED:
            return  # delivered already, or given up: a duplicate task does nothing
        escalation.attempts += 1
        system = Actor.system("Pengiriman Ombudsman")
        try:
            adapter()(escalation)
        except Exception as exc:  # every failure is retried and shown, never dropped
            escalation.last_error = str(exc)[:300]
            if escalation.attempts >= MAX_ATTEMPTS:
                escalation.state = Escalation.State.FAILED
            else:
                deliver.using(run_after=timezone.now() + dt.timedelta(minutes=2**escalation.attempts)).enqueue(
                    escalation.pk
                )
            lifecycle.transition(
                escalation.complaint,
                Action.RECORD_OMBUDSMAN,
                system,
                kind="attempt",
                ok=False,
                error=escalation.last_error,
            )
        else:
            escalation.state = Escalation.State.SENT
            escalation.delivered_at = timezone.now()
            lifecycle.transition(escalation.complaint, Action.RECORD_OMBUDSMAN, system, kind="attempt", ok=True)
        escalation.save()
