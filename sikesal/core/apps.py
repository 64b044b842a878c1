from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sikesal.core"
    label = "core"
    verbose_name = "SIKESAL"
