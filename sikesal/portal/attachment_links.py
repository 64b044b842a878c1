"""The addresses of attachments.

Each file answers at /lampiran/<token>/, its token 128 random bits, so nobody walks the files by counting.
The reporter's private page links their own non-public files with a grant signed for that one file and
good for GRANT_MAX_AGE: copying a photo's address hands on neither the private-link secret nor, after a
while, the photo. An officer who revealed an anonim reporter's identity (an audited reason) gets the same
kind of grant for the letter scan that names the writer, signed for them alone and good for REVEAL_MAX_AGE.
"""

from django.core import signing
from django.urls import reverse

GRANT_MAX_AGE = 30 * 60  # seconds; the private page is rendered afresh, with new grants, on every visit
REVEAL_MAX_AGE = 10 * 60  # seconds; a reveal is for the question at hand, and is asked (and audited) again after
_REPORTER = "reporter"


def _signer(att):
    # Salted with the file's own token: a grant for one attachment opens no other.
    return signing.TimestampSigner(salt=f"sikesal.attachment-grant:{att.token}")


def url(att):
    return reverse("portal:attachment", args=[att.token])


def reporter_url(att):
    """The address the reporter's private page uses for `att`, with its grant."""
    return f"{url(att)}?g={_signer(att).sign(_REPORTER)}"


def has_reporter_grant(att, grant):
    if not grant:
        return False
    try:
        return _signer(att).unsign(grant, max_age=GRANT_MAX_AGE) == _REPORTER
    except signing.BadSignature:  # SignatureExpired included
        return False


def revealed_url(att, user):
    """The address of `att` for `user`, who has just revealed the report's anonim reporter (audited)."""
    return f"{url(att)}?r={_signer(att).sign(f'reveal:{user.pk}')}"


def has_reveal_grant(att, grant, user):
    if not grant or not getattr(user, "is_authenticated", False):
        return False
    try:
        return _signer(att).unsign(grant, max_age=REVEAL_MAX_AGE) == f"reveal:{user.pk}"
    except signing.BadSignature:  # SignatureExpired included
        return False
