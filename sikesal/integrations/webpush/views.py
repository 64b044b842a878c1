"""Follow a report by Web Push, or stop: POST JSON {tracking, endpoint, keys: {p256dh, auth}}.

CSRF-protected like every form of the site (the page's script sends the token), rate limited per address,
and the decision is the policy's (policy.can_follow_by_push). Bad input is a 400 with an Indonesian
`detail`, never a 500.
"""

import base64
import binascii
import hashlib
import hmac
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Min
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sikesal.complaints import policy
from sikesal.complaints.models import Complaint
from sikesal.core import params
from sikesal.core.ratelimit import allow, client_key, lookup_allowed
from sikesal.integrations.webpush.models import PushSubscription

MAX_PER_REPORT = 50  # browsers following one report; more is abuse, not citizens


def _problem(message, status=400):
    return JsonResponse({"detail": str(message)}, status=status)


def _b64url_bytes(value):
    value = str(value or "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,200}={0,2}", value):
        return b""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return b""


def endpoint_allowed(url):
    """Is `url` a push service the worker may POST to? HTTPS to a host in SIKESAL_PUSH_SERVICE_HOSTS (or
    a subdomain); an entry written with its scheme ("http://127.0.0.1:8089") is matched as written."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return False
    if not host or re.search(r"[\x00-\x20\x7f]", url) or parts.username or parts.password or len(url) > 1000:
        return False
    for entry in settings.SIKESAL_PUSH_SERVICE_HOSTS:
        entry = entry.strip().lower()
        if "://" in entry:
            if f"{parts.scheme}://{parts.netloc}".lower() == entry.rstrip("/"):
                return True
        elif parts.scheme == "https" and port in (None, 443) and (host == entry or host.endswith("." + entry)):
            return True
    return False


def _read(request):
    """(tracking, endpoint, p256dh, auth) from the JSON body, or an error message."""
    try:
        body = params.json_body(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None, _("The request could not be read.")
    if not isinstance(body, dict):
        return None, _("The request could not be read.")
    keys = body.get("keys") if isinstance(body.get("keys"), dict) else {}
    tracking = re.sub(r"[^A-Z0-9-]", "", str(body.get("tracking") or "").upper())[:20]
    endpoint = str(body.get("endpoint") or "")
    if not tracking:
        return None, _("The tracking number is missing.")
    if not endpoint_allowed(endpoint):
        return None, _("This browser's push service is not supported.")
    return (tracking, endpoint, str(keys.get("p256dh") or ""), str(keys.get("auth") or "")), None


def _rate_limited(request):
    # A tracking number looked up here counts against the one lookup budget of the track page too.
    return not (
        allow("push-ip", client_key(request), settings.SIKESAL_PUSH_PER_IP_PER_HOUR, 3600) and lookup_allowed(request)
    )


def _network(request):
    """The subscriber's network (an IPv4 address or an IPv6 /64) as a keyed hash: enough to tell networks
    apart, nothing to read an address back from."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, client_key(request).encode(), hashlib.sha256).hexdigest()[:24]


def _make_room(complaint):
    """Free a place for one more browser when `complaint` has MAX_PER_REPORT already.

    Anyone with the tracking number may follow, so refusing the 51st browser would let whoever fills the
    list first lock the reporter out. Instead the network that holds the most subscriptions gives up its
    oldest (between equals, the one that came first): filling the list from a few networks only replaces
    their own, and pushing out one real follower takes as many networks as the list has places.
    """
    followers = complaint.push_subscriptions
    if followers.count() < MAX_PER_REPORT:
        return
    counts = followers.values("network").annotate(n=Count("pk"), first=Min("created_at"))
    crowded = counts.order_by("-n", "first").first()["network"]
    oldest = followers.filter(network=crowded).order_by("created_at", "pk").values_list("pk", flat=True)[:1]
    PushSubscription.objects.filter(pk__in=list(oldest)).delete()


@require_POST
def subscribe(request):
    if _rate_limited(request):
        return _problem(_("Too many requests; try again later."), 429)
    values, error = _read(request)
    if error:
        return _problem(error)
    tracking, endpoint, p256dh, auth = values
    point, secret = _b64url_bytes(p256dh), _b64url_bytes(auth)
    if len(point) != 65 or point[0] != 4 or len(secret) != 16:
        return _problem(_("The browser's notification keys are not valid."))
    complaint = Complaint.objects.filter(tracking_number=tracking).first()
    if not policy.can_follow_by_push(complaint):
        return _problem(_("No open report has this tracking number: notifications cannot be turned on."), 404)
    network = _network(request)
    if not complaint.push_subscriptions.filter(endpoint=endpoint).exists():
        _make_room(complaint)
    # (update_or_create handles the same browser twice at once: the loser reads the winner's row)
    PushSubscription.objects.update_or_create(
        complaint=complaint, endpoint=endpoint, defaults={"p256dh": p256dh, "auth": auth, "network": network}
    )
    return JsonResponse({"following": True, "tracking": complaint.tracking_number}, status=201)


@require_POST
def unsubscribe(request):
    if _rate_limited(request):
        return _problem(_("Too many requests; try again later."), 429)
    values, error = _read(request)
    if error:
        return _problem(error)
    tracking, endpoint, _p256dh, _auth = values
    PushSubscription.objects.filter(complaint__tracking_number=tracking, endpoint=endpoint).delete()
    return JsonResponse({"following": False, "tracking": tracking})
