"""The addresses of attachments.

Each file answers at /lampiran/<token>/, its token 128 random bits, so nobody walks the files by counting.
The reporter's private page links their own non-public files with a grant signed for that one file and
good for GRANT_MAX_AGE: copying a photo's address hands on neither the private-link secret nor, after a
while, the photo.
"""

from django.core import signing
from django.urls import reverse

GRANT_MAX_AGE = 30 * 60  # seconds; the private page is rendered afresh, with new grants, on every visit
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
