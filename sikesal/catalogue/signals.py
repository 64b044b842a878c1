from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from sikesal.catalogue import calendar
from sikesal.catalogue.models import NonWorkingDay


@receiver([post_save, post_delete], sender=NonWorkingDay)
def _calendar_changed(**kwargs):
    calendar.clear_cache()
