from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "sikesal.routing"
    label = "routing"
    verbose_name = _("Routing suggestions")

    def ready(self):
        from sikesal.complaints.tasks import EVENT_HANDLERS
        from sikesal.routing.service import on_event

        if on_event not in EVENT_HANDLERS:
            EVENT_HANDLERS.append(on_event)
