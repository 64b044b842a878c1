from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LaporConfig(AppConfig):
    name = "sikesal.integrations.lapor"
    label = "lapor"
    verbose_name = _("SP4N-LAPOR! sync")
