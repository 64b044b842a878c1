"""System checks for a deployment (`manage.py check --deploy`) and a loud warning at start."""

import logging

from django.conf import settings
from django.core.checks import Error, Tags, register

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


def warn_at_start():
    if getattr(settings, "SIKESAL_SECRET_KEY_GENERATED", False) and looks_like_production():
        logger.warning("!!! %s Set SIKESAL_SECRET_KEY, the same on every node. !!!", GENERATED_KEY)
