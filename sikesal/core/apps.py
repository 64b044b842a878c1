from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sikesal.core"
    label = "core"
    verbose_name = "SIKESAL"

    def ready(self):
        from sikesal.core import checks

        checks.warn_at_start()
