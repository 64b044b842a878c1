"""The edge every inbound webhook shares (WhatsApp, SMS, e-mail): a shared secret checked in constant time,
a body refused before it is read when it is larger than the channel ever sends, and the answers a provider
or an operator reads — a structured error for a machine, a short plain-text refusal."""

import hmac

from django.http import HttpResponseForbidden, JsonResponse


def bearer_matches(request, secret):
    """Does the request carry `Authorization: Bearer <secret>`? An unset secret lets nothing in."""
    given = request.headers.get("Authorization", "")
    return bool(secret) and hmac.compare_digest(given.encode(), f"Bearer {secret}".encode())


def too_large(request, limit):
    """The declared length past `limit` (a body that lies about its length is cut by Django's own limits)."""
    try:
        return int(request.headers.get("Content-Length") or 0) > limit
    except ValueError:
        return False


def problem(status, code, detail):
    return JsonResponse({"error": {"code": code, "detail": str(detail)[:200]}}, status=status)


def forbidden(reason="bad or missing credentials"):
    return HttpResponseForbidden(reason, content_type="text/plain; charset=utf-8")
