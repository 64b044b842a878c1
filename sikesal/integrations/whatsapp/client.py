"""The WhatsApp Business Platform Cloud API, the few calls SIKESAL makes (Meta's documented shapes):
POST {API}/{phone-number-id}/messages to send, GET {API}/{media-id} then the URL it gives to download.
Every call carries the access token as a Bearer token."""

import httpx
from django.conf import settings

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class CloudApiError(Exception):
    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code  # the platform's error code (131047: outside the 24-hour window), when it gave one


def _headers():
    return {"Authorization": f"Bearer {settings.SIKESAL_WHATSAPP_ACCESS_TOKEN}"}


def _base():
    return settings.SIKESAL_WHATSAPP_API_URL.rstrip("/")


def send(http, to, message):
    """POST one message object (text or template) to `to` (digits, no +); returns its wamid."""
    url = f"{_base()}/{settings.SIKESAL_WHATSAPP_PHONE_NUMBER_ID}/messages"
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to.lstrip("+"), **message}
    try:
        response = http.post(url, json=payload, headers=_headers())
    except httpx.HTTPError as exc:
        raise CloudApiError(f"WhatsApp Cloud API unreachable: {exc}") from exc
    if response.status_code >= 300:
        raise CloudApiError(
            f"WhatsApp Cloud API answered {response.status_code}: {_error(response)}", _error_code(response)
        )
    try:
        return str(response.json()["messages"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise CloudApiError("WhatsApp Cloud API answer names no message id") from None


def text(body):
    return {"type": "text", "text": {"preview_url": False, "body": body}}


def template(name, language, parameters):
    return {
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}],
        },
    }


def download(media_id, max_bytes):
    """(mime type, bytes) of a file a citizen sent; CloudApiError when it cannot be had or is too large."""
    with httpx.Client(timeout=TIMEOUT) as http:
        try:
            response = http.get(f"{_base()}/{media_id}", headers=_headers())
            if response.status_code >= 300:
                raise CloudApiError(f"media {media_id}: {response.status_code} {_error(response)}")
            info = response.json()
            with http.stream("GET", info["url"], headers=_headers()) as body:
                if body.status_code >= 300:
                    raise CloudApiError(f"media {media_id} download: {body.status_code}")
                content = b""
                for chunk in body.iter_bytes():
                    content += chunk
                    if len(content) > max_bytes:  # the attachment checks refuse it: no need for the rest
                        break
        except httpx.HTTPError as exc:
            raise CloudApiError(f"media {media_id}: {exc}") from exc
        except (ValueError, KeyError, TypeError):
            raise CloudApiError(f"media {media_id}: the answer names no URL") from None
    return str(info.get("mime_type") or ""), content


def _error_code(response):
    try:
        return int(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


def _error(response):
    try:
        return str(response.json()["error"]["message"])[:200]
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
