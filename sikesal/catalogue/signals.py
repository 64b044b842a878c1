from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from sikesal.catalogue import calendar, snapshot
from sikesal.catalogue.models import Area, CatalogueVersion, Institution, NonWorkingDay, Service, ServiceGroup


@receiver([post_save, post_delete], sender=NonWorkingDay)
def _calendar_changed(**kwargs):
    calendar.clear_cache()


@receiver([post_save, post_delete], sender=Service)
@receiver([post_save, post_delete], sender=ServiceGroup)
def _catalogue_changed(**kwargs):
    snapshot.clear()
    if not kwargs.get("raw"):  # not while loading fixtures
        CatalogueVersion.bump()


@receiver([post_save, post_delete], sender=Area)
@receiver([post_save, post_delete], sender=Institution)
def _areas_or_opds_changed(**kwargs):
    snapshot.clear()
