"""System checks for a deployment (`manage.py check --deploy`) and a loud warning at start."""

import logging

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks import Warning as CheckWarning

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1", "testserver"}

logger = logging.getLogger("sikesal.security")

GENERATED_KEY = (
    "SIKESAL_SECRET_KEY is not set: a key was generated into the data directory. Private links are derived "
    "from it, so they change with the data directory and two web nodes disagree about them."
)


def looks_like_production():
    public_hosts = set(settings.ALLOWED_HOSTS) - LOCAL_HOSTS
    return settings.SESSION_COOKIE_SECURE or (not settings.DEBUG and bool(public_hosts))


@register(Tags.security, deploy=True)
def secret_key_from_environment(app_configs=None, **kwargs):
    if getattr(settings, "SIKESAL_SECRET_KEY_GENERATED", False):
        return [Error(GENERATED_KEY, hint="Set SIKESAL_SECRET_KEY, the same on every node.", id="sikesal.E001")]
    return []


DEMO_WHATSAPP_SECRETS = {
    "SIKESAL_WHATSAPP_VERIFY_TOKEN": "sikesal-demo-verify",
    "SIKESAL_WHATSAPP_APP_SECRET": "sikesal-demo-secret",
    "SIKESAL_WHATSAPP_ACCESS_TOKEN": "sikesal-demo-token",
}


@register(Tags.security, deploy=True)
def whatsapp_secrets_set(app_configs=None, **kwargs):
    """The WhatsApp demo secrets are public (the simulator uses them): with them anyone could sign a
    webhook delivery and file reports in any citizen's name."""
    if settings.DEBUG:
        return []
    demo = [name for name, value in DEMO_WHATSAPP_SECRETS.items() if getattr(settings, name, "") == value]
    if not demo:
        return []
    return [
        CheckWarning(
            f"{', '.join(demo)} still hold the public demo values: anyone can forge WhatsApp webhook deliveries.",
            hint="Set them from the Meta app (docs/channels.md), or the WhatsApp channel is open to forgery.",
            id="sikesal.W001",
        )
    ]


DEMO_INBOUND_SECRETS = {
    "SIKESAL_SMS_INBOUND_SECRET": "sikesal-demo-sms",
    "SIKESAL_EMAIL_INBOUND_SECRET": "sikesal-demo-mail",
}


@register(Tags.security, deploy=True)
def inbound_secrets_set(app_configs=None, **kwargs):
    """The SMS gateway's and the mail relay's demo secrets are public: with them anyone could post an SMS
    or a mail in any citizen's name, file reports and reply on their reports."""
    if settings.DEBUG:
        return []
    demo = [name for name, value in DEMO_INBOUND_SECRETS.items() if getattr(settings, name, "") == value]
    if not demo:
        return []
    return [
        CheckWarning(
            f"{', '.join(demo)} still hold the public demo values: anyone can post SMS or mail as any citizen.",
            hint="Set them to long random values, the same in the SMS gateway and the mail relay (docs/channels.md).",
            id="sikesal.W002",
        )
    ]


def warn_at_start():
    if getattr(settings, "SIKESAL_SECRET_KEY_GENERATED", False) and looks_like_production():
        logger.warning("!!! %s Set SIKESAL_SECRET_KEY, the same on every node. !!!", GENERATED_KEY)
