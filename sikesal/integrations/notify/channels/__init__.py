"""The registry: every way SIKESAL reaches a reporter or an officer, one line each. Adding a channel is a
module here, its line in REGISTRY and its entry in SIKESAL_CHANNELS (docs/operations.md, "Channels")."""

from django.conf import settings

from sikesal.integrations.notify.channels.base import Contact, InvalidAddress
from sikesal.integrations.notify.channels.email import Email
from sikesal.integrations.notify.channels.sms import Sms
from sikesal.integrations.notify.channels.webpush import WebPush
from sikesal.integrations.notify.channels.whatsapp import WhatsApp

REGISTRY = (Email(), Sms(), WhatsApp(), WebPush())

BY_NAME = {channel.name: channel for channel in REGISTRY}

# The contacts a reporter leaves (the Reporter attributes of these names), in the order they are told.
REPORTER_CONTACTS = (Contact.EMAIL, Contact.PHONE)


def get(name):
    try:
        return BY_NAME[name]
    except KeyError:
        raise LookupError(f"no channel {name!r} in the registry (sikesal/integrations/notify/channels)") from None


def for_contact(kind):
    """The channel that takes this kind of address: the only one, or the one SIKESAL_CONTACT_CHANNELS
    names when several do (a phone number: SMS or WhatsApp, SIKESAL_PHONE_CHANNEL)."""
    takers = [channel for channel in REGISTRY if channel.capabilities.contact == kind]
    if len(takers) == 1:
        return takers[0]
    chosen = get(settings.SIKESAL_CONTACT_CHANNELS[kind])
    if chosen not in takers:
        raise LookupError(f"SIKESAL_CONTACT_CHANNELS names {chosen.name!r} for {kind}, which does not take it")
    return chosen


def reporter_contacts(reporter):
    """[(channel, address as the reporter left it)] for every contact this reporter (or None) left: on the
    channel the report came by when it takes that contact (filed by WhatsApp, answered on WhatsApp), else
    on the one for_contact gives."""
    came_by = BY_NAME.get(getattr(getattr(reporter, "complaint", None), "channel", ""))
    return [
        (came_by if came_by is not None and came_by.capabilities.contact == kind else for_contact(kind), address)
        for kind in REPORTER_CONTACTS
        if (address := getattr(reporter, kind, ""))
    ]


def notified_address(channel, address):
    """(the address a notification on `channel` to `address` holds, why the channel refuses it or None): its
    canonical form, or the address as written when refused (that notification is recorded failed)."""
    try:
        return channel.normalise(address), None
    except InvalidAddress as exc:
        return str(address)[:254], str(exc)[:300]


__all__ = ["REGISTRY", "Contact", "InvalidAddress", "for_contact", "get", "notified_address", "reporter_contacts"]
