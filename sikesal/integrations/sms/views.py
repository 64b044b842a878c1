"""The SMS gateway webhooks: /webhooks/sms/ (the generic form, `Authorization: Bearer
<SIKESAL_SMS_INBOUND_SECRET>`) and /webhooks/sms/twilio/ (Twilio's, signed with X-Twilio-Signature), and
their delivery reports, /webhooks/sms/status/ and /webhooks/sms/twilio/status/ (Twilio's StatusCallback),
checked the same way. A message or a report is checked, handed to the inbound core (processing.accept:
stored once per provider id, its handling queued) and answered at once; the worker answers the citizen
through the SMS channel, or applies the report to the notification it names (processing._apply_status)."""

import base64
import hashlib
import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sikesal.integrations.inbound import webhooks
from sikesal.integrations.inbound.processing import accept
from sikesal.integrations.sms import payload

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@csrf_exempt  # a gateway cannot send a CSRF token: the secret proves the sender instead
@require_POST
def generic(request):
    return _take(_bearer(request), payload.generic, [request.POST], JsonResponse({"ok": True}))


@csrf_exempt
@require_POST
def generic_status(request):
    return _take(_bearer(request), payload.generic_status, [request.POST], JsonResponse({"ok": True}))


@csrf_exempt
@require_POST
def twilio(request):
    # Twilio reads an answer as TwiML: an empty one sends nothing now (the worker answers by the gateway).
    twiml = HttpResponse(EMPTY_TWIML, content_type="text/xml; charset=utf-8")
    return _take(_twilio_signed(request), payload.twilio, [request.POST], twiml)


@csrf_exempt
@require_POST
def twilio_status(request):
    read = [request.POST, request.GET.get("reference")]
    # Twilio reads nothing of the answer to a StatusCallback.
    return _take(_twilio_signed(request), payload.twilio_status, read, HttpResponse(status=204))


def _take(signed, reader, fields, answer):
    """One call of a gateway: refused unless `signed`; read into a row by `reader(*fields)` (a 400 when
    malformed); stored once (processing.accept); answered with `answer`."""
    if not signed:
        return webhooks.forbidden()
    try:
        row = reader(*fields)
    except payload.MalformedPayload as exc:
        return webhooks.problem(400, "malformed", exc)
    accept([row])
    return answer


def _bearer(request):
    return webhooks.bearer_matches(request, settings.SIKESAL_SMS_INBOUND_SECRET)


def twilio_signature(token, url, form):
    """Twilio's: base64 of HMAC-SHA1 under the auth token of the URL it called followed by every POST
    parameter's name and value, sorted by name."""
    data = url + "".join(f"{name}{value}" for name in sorted(form) for value in sorted(form.getlist(name)))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def twilio_signed(token, url, form, headers):
    expected = twilio_signature(token, url, form)
    return hmac.compare_digest(headers.get("X-Twilio-Signature", "").encode(), expected.encode())


def _twilio_signed(request):
    token = settings.SIKESAL_SMS_TWILIO_AUTH_TOKEN  # unset: closed
    return bool(token) and twilio_signed(token, _public_url(request), request.POST, request.headers)


def _public_url(request):
    """The URL as Twilio called it: the site's public address (SITE_URL), whatever proxy is in between."""
    return settings.SITE_URL.rstrip("/") + request.get_full_path()
