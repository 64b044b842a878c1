from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "sikesal.catalogue"
    label = "catalogue"
    verbose_name = _("Catalogue")

    def ready(self):
        from sikesal.catalogue import signals  # noqa: F401
