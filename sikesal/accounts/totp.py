"""Time-based one-time passwords (RFC 6238, SHA-1, 30 s, 6 digits): what authenticator apps speak.

The codes come from pyotp. It works on the base32 secret kept on the user (`User.totp_secret`), so secrets
made before it stay valid. django-otp would need its own device tables and middleware. Which time step was
used is kept here: `totp_last_counter` refuses a code that was already used.
"""

import time

import pyotp
from pyotp.utils import strings_equal

STEP = 30
DIGITS = 6


def _otp(secret, digits=DIGITS):
    return pyotp.TOTP(secret, digits=digits, interval=STEP)  # SHA-1 is pyotp's default, as the apps expect


def new_secret():
    return pyotp.random_base32()  # 32 characters: 160 bits, the key length RFC 4226 recommends


def code_at(secret, counter, digits=DIGITS):
    return _otp(secret, digits).generate_otp(counter)


def matching_counter(secret, code, now=None, window=1):
    """The time step whose code equals `code` (± `window` steps for clock drift), or None."""
    code = "".join(str(code or "").split())
    if not (code.isdigit() and len(code) == DIGITS):
        return None
    otp = _otp(secret)
    current = int((time.time() if now is None else now) // STEP)
    for counter in range(max(0, current - window), current + window + 1):
        if strings_equal(otp.generate_otp(counter), code):
            return counter
    return None


def provisioning_uri(secret, account, issuer="SIKESAL Kota Jambi"):
    return _otp(secret).provisioning_uri(name=account, issuer_name=issuer)
