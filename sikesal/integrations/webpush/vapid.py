"""The server's VAPID key pair, which identifies SIKESAL to the browsers' push services.

From SIKESAL_VAPID_PRIVATE_KEY (base64url, raw 32 bytes or DER) and SIKESAL_VAPID_PUBLIC_KEY when set;
otherwise generated once into the data dir (vapid_private.pem, 0600 like everything there) and read back
from it, so a development machine needs no setup and keeps its subscriptions across restarts.
"""

import base64
import functools
import threading

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid02

_lock = threading.Lock()


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@functools.cache
def private_key():
    """The signing key (a py_vapid Vapid02)."""
    if settings.SIKESAL_VAPID_PRIVATE_KEY:
        return Vapid02.from_string(settings.SIKESAL_VAPID_PRIVATE_KEY)
    path = settings.DATA_DIR / "vapid_private.pem"
    with _lock:
        if not path.exists():
            key = Vapid02()
            key.generate_keys()
            key.save_key(str(path))
            path.chmod(0o600)
    return Vapid02.from_file(str(path))


@functools.cache
def public_key():
    """The applicationServerKey browsers subscribe with: base64url of the uncompressed P-256 point."""
    if settings.SIKESAL_VAPID_PUBLIC_KEY:
        return settings.SIKESAL_VAPID_PUBLIC_KEY
    point = private_key().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(point)


def claims():
    """Fresh claims for one push (pywebpush fills in `aud` and `exp` on the dict it is given)."""
    return {"sub": settings.SIKESAL_VAPID_SUBJECT}
