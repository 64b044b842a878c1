from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebPushConfig(AppConfig):
    name = "sikesal.integrations.webpush"
    label = "webpush"
    verbose_name = _("Web Push")
