from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LaporConfig(AppConfig):
    name = "sikesal.integrations.lapor"
    label = "lapor"
    verbose_name = _("SP4N-LAPOR! sync")

    def ready(self):
        from sikesal.complaints.lifecycle import EVENT_RECORDERS
        from sikesal.integrations.lapor.outbound import on_event

        # In the change's transaction (a transactional outbox), not as a later task: a worker killed
        # between the change and its side effects must not lose what SP4N-LAPOR! has to receive.
        if on_event not in EVENT_RECORDERS:
            EVENT_RECORDERS.append(on_event)
