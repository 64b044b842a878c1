"""The city's complaint mailbox, /webhooks/email/: the mail server (or its relay) POSTs each mail as it
came, raw RFC 822 bytes, with `Authorization: Bearer <SIKESAL_EMAIL_INBOUND_SECRET>`. The mail is read,
its attachments kept in storage until the worker has handled it, and handed to the inbound core
(processing.accept: once per Message-ID); automatic mail (auto-replies, bounces, lists) is taken and not
answered, so that two robots never write to each other for ever."""

import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sikesal.integrations.inbound import webhooks
from sikesal.integrations.inbound.models import InboundMessage
from sikesal.integrations.inbound.processing import accept
from sikesal.integrations.mailbox import mail

MAX_BODY_BYTES = 30 * 1024 * 1024  # the attachments' limits (SIKESAL_UPLOAD_MAX_*) with MIME's base64 on top


@csrf_exempt  # the relay cannot send a CSRF token: the secret proves the sender instead
@require_POST
def webhook(request):
    if not webhooks.bearer_matches(request, settings.SIKESAL_EMAIL_INBOUND_SECRET):
        return webhooks.forbidden()
    if webhooks.too_large(request, MAX_BODY_BYTES):
        return webhooks.problem(413, "too_large", "The message is larger than the mailbox takes.")
    try:
        found = mail.read(request.body)
    except mail.MalformedMail as exc:
        return webhooks.problem(400, "malformed", str(exc))
    if found.automatic:
        return JsonResponse({"ok": True, "taken": False, "reason": "automatic mail is not answered"})
    row = found.row
    if InboundMessage.objects.filter(channel=row.channel, external_id=row.external_id).exists():
        return JsonResponse({"ok": True, "taken": False, "reason": "already received"})
    kept = [
        (default_storage.save(f"inbound/mail/{secrets.token_hex(12)}", ContentFile(data)), name)
        for name, data in found.attachments
    ]
    row.content["media"] = [{"id": path, "path": path, "name": name} for path, name in kept]
    if not accept([row]):  # the same mail came twice at once: the other copy keeps its files
        for path, _name in kept:
            default_storage.delete(path)
    return JsonResponse({"ok": True, "taken": True})
