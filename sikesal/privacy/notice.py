"""The privacy notice (UU PDP Pasal 5: who processes what, on what basis, for what, how long, and the
rights): one page in full at /privasi/, a short form at every point of filing that links to it."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _


def url():
    return settings.SITE_URL + reverse("privacy:notice")


def channel_line():
    """The line the messaging channels add to their first answer (integrations/inbound/conversation.py)."""
    return _("How we use your personal data: %(url)s") % {"url": url()}
