"""The privacy notice (UU PDP Pasal 5: who processes what, on what basis, for what, how long, and the
rights): one page in full at /privasi/, a short form at every point of filing that links to it."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _


def url():
    return settings.SITE_URL + reverse("privacy:notice")


def channel_line():
    """The line the messaging channels add to their receipt (integrations/inbound/conversation.py): short,
    so that an SMS receipt stays one message where the site's address is short."""
    return _("Privacy: %(url)s") % {"url": url()}
