"""Time-based one-time passwords (RFC 6238, SHA-1, 30 s, 6 digits): what authenticator apps speak."""

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import quote

STEP = 30


def new_secret():
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret):
    return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)


def code_at(secret, counter, digits=6):
    digest = hmac.new(_key(secret), counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def matching_counter(secret, code, now=None, window=1):
    """The time step whose code equals `code` (± `window` steps for clock drift), or None."""
    code = "".join(str(code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    current = int((time.time() if now is None else now) // STEP)
    for counter in range(current - window, current + window + 1):
        if hmac.compare_digest(code_at(secret, counter), code):
            return counter
    return None


def provisioning_uri(secret, account, issuer="SIKESAL Kota Jambi"):
    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&algorithm=SHA1&digits=6&period={STEP}"
