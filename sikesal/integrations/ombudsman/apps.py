from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OmbudsmanConfig(AppConfig):
    name = "sikesal.integrations.ombudsman"
    label = "ombudsman"
    verbose_name = _("Ombudsman")
