"""Start-up checks of the channels' settings: a contact kind must name a channel the registry has, or the
first notification would fail in the worker instead of the deployment failing at start."""

from django.core.checks import Error, register

from sikesal.integrations.notify import channels
from sikesal.integrations.notify.models import Notification


@register()
def contact_channels_exist(app_configs=None, **kwargs):
    errors = []
    for kind in channels.REPORTER_CONTACTS:
        try:
            channels.for_contact(kind)
        except LookupError as exc:
            errors.append(Error(str(exc), hint="Set SIKESAL_PHONE_CHANNEL to sms or whatsapp.", id="sikesal.E010"))
    longest = Notification._meta.get_field("channel").max_length
    for channel in channels.REGISTRY:
        if len(channel.name) > longest:  # SQLite would store it; PostgreSQL would refuse every row
            errors.append(Error(f"channel name {channel.name!r} is longer than {longest}", id="sikesal.E011"))
    return errors
