"""The Cloud API webhook, /webhooks/whatsapp/: Meta's verification handshake (GET) and its signed deliveries
(POST). A delivery is checked (X-Hub-Signature-256), stored (each message and status once, whatever Meta
re-delivers) through the inbound core's one door (processing.accept), and answered 200 at once; the worker
finds the rows waiting and handles them (integrations/inbound/processing.py)."""

import hashlib
import hmac
import json

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sikesal.integrations.inbound import webhooks
from sikesal.integrations.inbound.processing import accept
from sikesal.integrations.whatsapp.payload import MalformedPayload, rows

# Meta batches at most a few hundred updates in a delivery; anything far larger is not from it.
MAX_BODY_BYTES = 1024 * 1024


@csrf_exempt  # Meta cannot send a CSRF token: the signature proves the sender instead
@require_http_methods(["GET", "POST"])
def webhook(request):
    if request.method == "GET":
        return _handshake(request)
    if webhooks.too_large(request, MAX_BODY_BYTES):
        return webhooks.problem(413, "too_large", "The delivery is larger than a Cloud API webhook ever is.")
    body = request.body
    if not signed(body, request.headers.get("X-Hub-Signature-256", "")):
        return webhooks.forbidden("bad signature")
    try:
        found = rows(json.loads(body))
    except (ValueError, MalformedPayload) as exc:  # json.JSONDecodeError is a ValueError
        return webhooks.problem(400, "malformed", str(exc)[:200])
    accept(found)
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


def _handshake(request):
    """Meta's subscription check: echo hub.challenge when hub.verify_token is ours."""
    mode = request.GET.get("hub.mode")
    token = request.GET.get("hub.verify_token", "")
    if mode == "subscribe" and hmac.compare_digest(token.encode(), settings.SIKESAL_WHATSAPP_VERIFY_TOKEN.encode()):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain; charset=utf-8")
    return webhooks.forbidden("verification failed")


def signed(body, header):
    """Is `header` "sha256=" and the HMAC-SHA256 of the raw body under the app secret?"""
    expected = hmac.new(settings.SIKESAL_WHATSAPP_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.encode(), f"sha256={expected}".encode())
