from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "sikesal.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self):
        from django.db.models.signals import post_migrate

        from sikesal.complaints.search import ensure_sqlite_index

        post_migrate.connect(ensure_sqlite_index, sender=self, dispatch_uid="complaints-fts")
