from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from sikesal.catalogue import calendar
from sikesal.catalogue.models import CatalogueVersion, NonWorkingDay, Service, ServiceGroup


@receiver([post_save, post_delete], sender=NonWorkingDay)
def _calendar_changed(**kwargs):
    calendar.clear_cache()


@receiver([post_save, post_delete], sender=Service)
@receiver([post_save, post_delete], sender=ServiceGroup)
def _catalogue_changed(**kwargs):
    if not kwargs.get("raw"):  # not while loading fixtures
        CatalogueVersion.bump()
