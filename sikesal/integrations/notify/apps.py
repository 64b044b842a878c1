from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "sikesal.integrations.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self):
        from sikesal.complaints.tasks import EVENT_HANDLERS
        from sikesal.integrations.notify.handlers import notify_reporter

        if notify_reporter not in EVENT_HANDLERS:
            EVENT_HANDLERS.insert(0, notify_reporter)
